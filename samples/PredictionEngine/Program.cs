// Sample: score image pairs one at a time with an ML.NET PredictionEngine, as a service scoring each upload would.
// Run from the repository root:  dotnet run --project samples/PredictionEngine [SR_DIR GT_DIR]
using HfDiff.MLNet;
using HfDiff.Torch.Metrics;
using Microsoft.ML;

var srDir = args.Length > 1 ? args[0] : Path.Combine("data", "samples", "sr");
var gtDir = args.Length > 1 ? args[1] : Path.Combine("data", "samples", "gt");
var ml = new MLContext(seed: 0);

// The scorers learn nothing from data: Fit needs only the schema of the rows to come (paths here; MLImage columns work too).
var schemaOnly = ml.Data.LoadFromEnumerable(new List<Pair>());
var model = ml.Transforms.ImageQuality.Psnr("Psnr", "Sr", "Gt", YChannelColorSpace.YCbCr, testYChannel: true)
    .Append(ml.Transforms.ImageQuality.Ssim("Ssim", "Sr", "Gt", YChannelColorSpace.YCbCr))
    .Fit(schemaOnly);

// A PredictionEngine scores one row per Predict call (it is not thread-safe: one engine per thread).
using var engine = ml.Model.CreatePredictionEngine<Pair, Scores>(model);
foreach (var sr in Directory.GetFiles(srDir, "*.png").Order(StringComparer.Ordinal))
{
    var scores = engine.Predict(new Pair { Sr = sr, Gt = Path.Combine(gtDir, Path.GetFileName(sr)) });
    Console.WriteLine($"{Path.GetFileName(sr),-16} PSNR {scores.Psnr:F4}  SSIM {scores.Ssim:F4}");
}

sealed class Pair
{
    public string Sr { get; set; } = "";
    public string Gt { get; set; } = "";
}

sealed class Scores
{
    public float Psnr { get; set; }
    public float Ssim { get; set; }
}
