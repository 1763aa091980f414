using HfDiff.MLNet;
using HfDiff.MLNet.ImageQuality;
using HfDiff.Tests.Common;
using HfDiff.Torch.Assets;
using HfDiff.Torch.Imaging;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace HfDiff.MLNet.Tests.ImageQuality;

/// <summary>
/// Scorer errors reach the user as the one message that matters: missing weights and invalid settings at Fit; a bad
/// image during Evaluate or cursoring as its own error (naming the metric and the file), not wrapped in ML.NET's.
/// </summary>
[TestClass]
public class ScorerErrorTests
{
    public sealed class PathPair { public string Sr { get; set; } = ""; public string Gt { get; set; } = ""; }
    public sealed class PathRow { public string Sr { get; set; } = ""; }

    static string Samples => Path.Combine(TestPaths.RepositoryRoot() ?? throw new AssertFailedException("repository root not found"), "data", "samples");

    static string EmptyDir() => Directory.CreateTempSubdirectory("hfdiff-ml-err-").FullName;

    static IDataView SamplePairs(MLContext ml) => ml.Data.LoadFromEnumerable(
        Directory.GetFiles(Path.Combine(Samples, "sr"), "*.png").Order(StringComparer.Ordinal)
            .Select(sr => new PathPair { Sr = sr, Gt = Path.Combine(Samples, "gt", Path.GetFileName(sr)) }).ToList());

    [TestMethod]
    public void Fit_WeightFileMissing_ThrowsModelAssetMissingAtFit()
    {
        var ml = new MLContext();
        var dir = EmptyDir();
        try
        {
            var data = SamplePairs(ml);
            var estimator = ml.Transforms.ImageQuality.Score(new ImageQualityScorerOptions
            {
                Metric = "lpips", OutputColumnName = "Lpips", DistortedColumnName = "Sr", ReferenceColumnName = "Gt", ModelDirectory = dir,
            });
            var e = Assert.ThrowsExactly<ModelAssetMissingException>(() => estimator.Fit(data));
            StringAssert.Contains(e.Message, "alexnet-owt-7be5be79.pth");
            StringAssert.Contains(e.Message, "alex.pth");
            StringAssert.Contains(e.Message, "hfdiff models fetch lpips-alex");
        }
        finally { Directory.Delete(dir, true); }
    }

    /// <summary>Every learned scorer builds its network at Fit, so a missing weight file fails there, named.</summary>
    [TestMethod]
    [DataRow("lpips-vgg", "vgg16-397923af.pth")]
    [DataRow("musiq", "musiq_koniq_ckpt-e95806b9.pth")]
    [DataRow("clipiqa", "RN50.pt")]
    [DataRow("clipiqa+", "RN50.pt")]
    public void Fit_LearnedScorerWeightsMissing_ThrowModelAssetMissingAtFit(string metric, string file)
    {
        var ml = new MLContext();
        var dir = EmptyDir();
        try
        {
            var data = SamplePairs(ml);
            var full = Torch.Metrics.MetricRegistry.ModeOf(metric) == Torch.Metrics.MetricMode.FullReference;
            var estimator = ml.Transforms.ImageQuality.Score(new ImageQualityScorerOptions
            {
                Metric = metric, OutputColumnName = "Score", DistortedColumnName = "Sr", ReferenceColumnName = full ? "Gt" : null, ModelDirectory = dir,
            });
            var e = Assert.ThrowsExactly<ModelAssetMissingException>(() => estimator.Fit(data));
            StringAssert.Contains(e.Message, file);
        }
        finally { Directory.Delete(dir, true); }
    }

    [TestMethod]
    public void Fit_NiqeParametersMissing_ThrowsAtFit()
    {
        var ml = new MLContext();
        var dir = EmptyDir();
        try
        {
            var data = ml.Data.LoadFromEnumerable(new[] { new PathRow { Sr = Path.Combine(Samples, "sr", "rings.png") } });
            var estimator = ml.Transforms.ImageQuality.Score(new ImageQualityScorerOptions { Metric = "niqe", OutputColumnName = "Niqe", DistortedColumnName = "Sr", ModelDirectory = dir });
            var e = Assert.ThrowsExactly<ModelAssetMissingException>(() => estimator.Fit(data));
            StringAssert.Contains(e.Message, "niqe_modelparameters.mat");
        }
        finally { Directory.Delete(dir, true); }
    }

    [TestMethod]
    public void Fit_InvalidSettingValue_ThrowsAtConstructionOrFit()
    {
        var ml = new MLContext();
        var data = SamplePairs(ml);
        // crop_border parses as an int, but a negative one is only refused by the metric's options: still before any row.
        var e = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => ml.Transforms.ImageQuality.Ssim("Ssim", "Sr", "Gt", cropBorder: -1).Fit(data));
        StringAssert.Contains(e.Message, "cropBorder must be >= 0");
    }

    [TestMethod]
    public void Evaluate_ImageTooSmall_ThrowsTheMetricsOwnErrorNamingTheFile()
    {
        var ml = new MLContext();
        var dir = EmptyDir();
        try
        {
            var tiny = Path.Combine(dir, "tiny.png");
            using (var t = TorchSharp.torch.rand(1, 3, 8, 8)) ImageIO.WritePng(t, tiny);
            var data = ml.Data.LoadFromEnumerable(new[]
            {
                new PathPair { Sr = Path.Combine(Samples, "sr", "rings.png"), Gt = Path.Combine(Samples, "gt", "rings.png") },
                new PathPair { Sr = tiny, Gt = tiny },
            });
            var scored = ml.Transforms.ImageQuality.Ssim("Ssim", "Sr", "Gt").Fit(data).Transform(data);
            var e = Assert.ThrowsExactly<ArgumentException>(() => ml.ImageQuality.Evaluate(scored, "Ssim"));
            Assert.AreEqual($"ssim on '{tiny}': ssim needs images of at least 11×11 pixels (its 11×11 Gaussian window); got 8×8.", e.Message);
            // The same one message when the column is read directly (GetColumn / a cursor).
            var e2 = Assert.ThrowsExactly<ArgumentException>(() => scored.GetColumn<float>("Ssim").ToArray());
            Assert.AreEqual(e.Message, e2.Message);
        }
        finally { Directory.Delete(dir, true); }
    }
}
