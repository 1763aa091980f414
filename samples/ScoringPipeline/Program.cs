// Sample: score SR images against ground truth inside an ML.NET pipeline, evaluate, save and reload the model.
// Run from the repository root:  dotnet run --project samples/ScoringPipeline [SR_DIR GT_DIR]
using HfDiff.MLNet;
using Microsoft.ML;

var srDir = args.Length > 0 ? args[0] : Path.Combine("data", "samples", "sr");
var gtDir = args.Length > 1 ? args[1] : Path.Combine("data", "samples", "gt");
var pairs = Directory.GetFiles(srDir, "*.png").OrderBy(p => p, StringComparer.Ordinal)
    .Select(sr => new Pair { Sr = sr, Gt = Path.Combine(gtDir, Path.GetFileName(sr)) })
    .ToList();

var ml = new MLContext(seed: 0);
var data = ml.Data.LoadFromEnumerable(pairs);

// PSNR and SSIM on the Y channel of YCbCr, as SR papers report them.
var pipeline = ml.Transforms.ImageQuality.Psnr("Psnr", "Sr", "Gt", testYChannel: true, colorSpace: "ycbcr")
    .Append(ml.Transforms.ImageQuality.Ssim("Ssim", "Sr", "Gt", colorSpace: "ycbcr"));
var model = pipeline.Fit(data);
var metrics = ml.ImageQuality.Evaluate(model.Transform(data), "Psnr", "Ssim");
for (int i = 0; i < pairs.Count; i++)
    Console.WriteLine($"{Path.GetFileName(pairs[i].Sr),-16} PSNR {metrics.PerRow["Psnr"][i]:F4}  SSIM {metrics.PerRow["Ssim"][i]:F4}");
Console.WriteLine($"{"mean",-16} PSNR {metrics.Mean["Psnr"]:F4}  SSIM {metrics.Mean["Ssim"]:F4}");

// The fitted scorers are an ordinary ML.NET model: save, reload, same numbers.
var path = Path.Combine(Path.GetTempPath(), "hfdiff-scorers.zip");
ml.Model.Save(model, null, path);
var reloaded = new MLContext().Model.Load(path, out _);
var again = ml.ImageQuality.Evaluate(reloaded.Transform(data), "Psnr");
Console.WriteLine($"reloaded model: mean PSNR {again.Mean["Psnr"]:F4}");

sealed class Pair
{
    public string Sr { get; set; } = "";
    public string Gt { get; set; } = "";
}
