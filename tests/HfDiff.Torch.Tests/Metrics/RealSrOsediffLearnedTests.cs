using HfDiff.Tests.Common;
using HfDiff.Torch.Assets;
using HfDiff.Torch.Metrics;
using static TorchSharp.torch;

namespace HfDiff.Torch.Tests.Metrics;

/// <summary>
/// The learned metrics on real images against OSEDiff's published per-image numbers (pyiqa 0.1.10 with the official
/// weights: <c>lpips</c> = alex, <c>clipiqa</c> = RN50, <c>musiq</c> = KonIQ). Official weights cannot be downloaded
/// on CI machines, so each test runs only where the model directory (<c>$HFDIFF_MODELS</c> or <c>~/.hfdiff/models</c>)
/// holds that metric's files, and is inconclusive, naming the missing files, elsewhere. The bounds allow for the
/// 6 printed decimals and float32 rounding (MUSIQ's scores are ~70, its float32 error ~1e-3).
/// </summary>
[TestClass]
public class RealSrOsediffLearnedTests
{
    public TestContext TestContext { get; set; } = null!;

    void AssertMatchesPublished(string metricName, string column, double maxAbs, string fetchAlias, params ModelAsset[] assets)
    {
        var rows = RealSrOsediff.Rows();
        var models = ModelDirectory.Resolve();
        var missing = assets.Where(a => models.Find(a) is null).Select(a => a.FileName).ToList();
        if (missing.Count > 0)
            Assert.Inconclusive($"{metricName}: official weights not in the model directory '{models.Root}' (missing {string.Join(", ", missing)}; `hfdiff models fetch {fetchAlias}` downloads them).");
        using var metric = MetricRegistry.Create(metricName, models);
        var errors = new List<double>();
        foreach (var row in rows)
        {
            using var scope = NewDisposeScope();
            var sr = RealSrOsediff.Sr(row.Image);
            var gt = metric.Mode == MetricMode.FullReference ? RealSrOsediff.Gt(row.Image) : null;
            double ours = metric.Score(sr, gt);
            errors.Add(Math.Abs(ours - row.Values[column]));
            Assert.AreEqual(row.Values[column], ours, maxAbs, $"{metricName} {row.Image}");
        }
        TestContext.WriteLine($"{metricName}: {rows.Count} images, max |Δ| {errors.Max():E2}, median {RealSrOsediff.Median(errors):E2}");
    }

    [TestMethod]
    public void Lpips_RealSrOsediff_MatchesPublished() =>
        AssertMatchesPublished("lpips", "lpips", 2e-6, "lpips-alex", KnownAssets.TorchvisionAlexNet, KnownAssets.LpipsAlexLinear);

    [TestMethod]
    public void ClipIqa_RealSrOsediff_MatchesPublished() =>
        AssertMatchesPublished("clipiqa", "clipiqa", 2e-5, "clipiqa", KnownAssets.ClipRn50, KnownAssets.ClipBpeVocab);

    [TestMethod]
    public void Musiq_RealSrOsediff_MatchesPublished() =>
        AssertMatchesPublished("musiq", "musiq", 2e-3, "musiq", KnownAssets.MusiqKoniq);
}
