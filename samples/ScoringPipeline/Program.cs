// Sample: score SR images against ground truth inside an ML.NET pipeline, evaluate, save and reload the model.
// Run from the repository root:  dotnet run --project samples/ScoringPipeline [PAIRS.tsv]
using HfDiff.MLNet;
using Microsoft.ML;
using Microsoft.ML.Data;

var ml = new MLContext(seed: 0);
var data = ml.Data.LoadFromTextFile<Pair>(args.Length > 0 ? args[0] : "samples/ScoringPipeline/pairs.tsv");   // columns Sr, Gt: image paths

// PSNR and SSIM on the Y channel of YCbCr, as SR papers report them.
var scorers = ml.Transforms.ImageQuality.Psnr("Psnr", "Sr", "Gt", testYChannel: true, colorSpace: "ycbcr")
    .Append(ml.Transforms.ImageQuality.Ssim("Ssim", "Sr", "Gt", colorSpace: "ycbcr"));
var model = scorers.Fit(data);
var metrics = ml.ImageQuality.Evaluate(model.Transform(data), "Psnr", "Ssim");
var names = data.GetColumn<string>("Sr").Select(Path.GetFileName).ToList();
for (int i = 0; i < names.Count; i++)
    Console.WriteLine($"{names[i],-16} PSNR {metrics.PerRow["Psnr"][i]:F4}  SSIM {metrics.PerRow["Ssim"][i]:F4}");
Console.WriteLine($"{"mean",-16} PSNR {metrics.Mean["Psnr"]:F4}  SSIM {metrics.Mean["Ssim"]:F4}");

// The fitted scorers are an ordinary ML.NET model: save, reload (nothing else needed), same numbers.
var path = Path.Combine(Path.GetTempPath(), "hfdiff-scorers.zip");
ml.Model.Save(model, null, path);
var reloaded = new MLContext().Model.Load(path, out _);
var again = ml.ImageQuality.Evaluate(reloaded.Transform(data), "Psnr");
Console.WriteLine($"reloaded model: mean PSNR {again.Mean["Psnr"]:F4}");

sealed class Pair
{
    [LoadColumn(0)] public string Sr { get; set; } = "";
    [LoadColumn(1)] public string Gt { get; set; } = "";
}
