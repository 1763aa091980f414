// Sample: make (LR, GT) benchmark pairs from HR images with the Real-ESRGAN degradation, then super-resolve the LR
// images with the default model and score the result against GT — every step an ML.NET transform.
// Run from the repository root:  dotnet run --project samples/SuperResolveAndDegrade [HR_DIR]
// The default model is the official SinSR when SinSR_v1.pth and autoencoder_vq_f4.pth are in the model directory
// (hfdiff models fetch sinsr), else the bundled hfdiff-tiny.
using HfDiff.MLNet;
using HfDiff.Torch.Assets;
using HfDiff.Torch.Pipelines;
using Microsoft.ML;
using Microsoft.ML.Data;

var hrDir = args.Length > 0 ? args[0] : Path.Combine("data", "samples", "gt");
var ml = new MLContext(seed: 0);
var hr = ml.Data.LoadFromEnumerable(Directory.GetFiles(hrDir, "*.png").Order(StringComparer.Ordinal).Select(p => new HrImage { Hr = p }).ToList());

// Degrade: an LR column and the matching GT crop (MLImage columns), seeded per row; no pretrained files needed.
var pairs = ml.Transforms.Degrade("Lr", "Hr", "Gt", gtSize: 128, seed: 0);
var degraded = pairs.Fit(hr).Transform(hr);
foreach (var lr in degraded.GetColumn<MLImage>("Lr"))
    Console.WriteLine($"LR {lr.Width}x{lr.Height}");

// Super-resolve the LR column (MLImage column out), then score it against the GT crop.
var sr = ml.Transforms.SuperResolve("Sr", "Lr", new SuperResolverOptions { Steps = 1 })
    .Append(ml.Transforms.ImageQuality.Psnr("Psnr", "Sr", "Gt", testYChannel: true, colorSpace: "ycbcr"));
try
{
    var metrics = ml.ImageQuality.Evaluate(sr.Fit(degraded).Transform(degraded), "Psnr");
    Console.WriteLine($"SR of the degraded pairs: mean PSNR {metrics.Mean["Psnr"]:F2} dB");
}
catch (ModelAssetMissingException e)
{
    Console.WriteLine($"SR skipped: {e.Summary}");
}

sealed class HrImage
{
    [LoadColumn(0)] public string Hr { get; set; } = "";
}
