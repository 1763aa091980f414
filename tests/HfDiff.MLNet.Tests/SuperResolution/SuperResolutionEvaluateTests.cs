using HfDiff.MLNet;
using HfDiff.MLNet.Imaging;
using HfDiff.MLNet.SuperResolution;
using HfDiff.Tests.Common;
using HfDiff.Torch.Archs.ResShift;
using HfDiff.Torch.Evaluation;
using HfDiff.Torch.Imaging;
using HfDiff.Torch.Metrics;
using HfDiff.Torch.Pipelines;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace HfDiff.MLNet.Tests.SuperResolution;

/// <summary>
/// <c>mlContext.SuperResolution.Evaluate</c> on two SR models (the reduced SinSR/VQGAN networks of the ResShift fixture
/// with two noise seeds): its per-row scores equal SuperResolver + PSNR/SSIM computed directly, and it names the best model.
/// </summary>
[TestClass]
public class SuperResolutionEvaluateTests
{
    public sealed class Row { public string Lr { get; set; } = ""; public string Gt { get; set; } = ""; }

    static SuperResolverOptions FixtureOptions(long seed) => SuperResolveEstimatorTests.FixtureOptions() with { Seed = seed };

    /// <summary>GT crops of a bundled sample and their Pillow-bicubic ×1/4 LR, as temp PNGs.</summary>
    static List<Row> Pairs()
    {
        var root = TestPaths.RepositoryRoot() ?? throw new AssertFailedException("repository root not found");
        using var img = ImageIO.ReadTensor(Path.Combine(root, "data", "samples", "gt", "rings.png"));
        var rows = new List<Row>();
        foreach (var (top, left) in new[] { (0, 0), (32, 48) })
        {
            var gtPath = Path.Combine(Path.GetTempPath(), $"hfdiff-eval-gt-{Guid.NewGuid():N}.png");
            var lrPath = Path.Combine(Path.GetTempPath(), $"hfdiff-eval-lr-{Guid.NewGuid():N}.png");
            using var crop = img[.., .., top..(top + 80), left..(left + 96)];
            ImageIO.WritePng(crop, gtPath);
            var (rgb, w, h) = ImageIO.ToRgb24(crop);
            ImageIO.WritePng(PilBicubic.Resize(rgb, w, h, w / 4, h / 4), w / 4, h / 4, lrPath);
            rows.Add(new Row { Lr = lrPath, Gt = gtPath });
        }
        return rows;
    }

    [TestMethod, TestCategory("Parity.ResShift")]
    public void Evaluate_TwoModels_PerRowScoresEqualDirectComputationAndBestIsTheHigherPsnr()
    {
        var rows = Pairs();
        try
        {
            var ml = new MLContext(seed: 1);
            var data = ml.Data.LoadFromEnumerable(rows);
            var models = new Dictionary<string, ITransformer>
            {
                ["seed7"] = ml.Transforms.SuperResolve("SuperResolved", "Lr", FixtureOptions(7)).Fit(data),
                ["seed8"] = ml.Transforms.SuperResolve("SuperResolved", "Lr", FixtureOptions(8)).Fit(data),
            };
            var comparison = ml.SuperResolution.Evaluate(data, models, new SuperResolutionEvaluationOptions { GroundTruthColumnName = "Gt", Metrics = ["psnr", "ssim"] });

            CollectionAssert.AreEqual(new[] { "psnr", "ssim" }, comparison.Metrics.ToArray());
            foreach (var (name, seed) in new[] { ("seed7", 7L), ("seed8", 8L) })
            {
                using var direct = new SuperResolver(FixtureOptions(seed));
                var m = comparison[name];
                Assert.AreEqual(rows.Count, m.RowCount);
                for (int i = 0; i < rows.Count; i++)
                {
                    using var lr = ImageIO.ReadTensor(rows[i].Lr);
                    using var sr = direct.SuperResolve(lr);
                    // The transform's MLImage holds the 8-bit image: score what it holds.
                    using var sr8 = MLImageTensor.ToTensor(MLImageTensor.FromTensor(sr));
                    using var gt = ImageIO.ReadTensor(rows[i].Gt);
                    double psnr = Psnr.Compute(sr8, gt, new PsnrOptions { TestYChannel = true, ColorSpace = YChannelColorSpace.YCbCr });
                    double ssim = Ssim.Compute(sr8, gt, new SsimOptions { TestYChannel = true, ColorSpace = YChannelColorSpace.YCbCr });
                    Assert.AreEqual(psnr, m.PerRow["psnr"][i], 1e-6 * Math.Abs(psnr), $"{name} row {i} psnr (the scorer column is float32)");
                    Assert.AreEqual(ssim, m.PerRow["ssim"][i], 1e-6, $"{name} row {i} ssim: {ssim:R} vs {m.PerRow["ssim"][i]:R}");
                }
                Assert.AreEqual(m.PerRow["psnr"].Average(), m.Psnr, 1e-12);
                Console.WriteLine($"{name}: PSNR {m.Psnr:F4}, SSIM {m.Ssim:F4}");
            }
            var best = comparison.Best("psnr");
            Assert.AreEqual(comparison.Models.MaxBy(m => m.Psnr)!.Model, best.Model);
            Assert.AreEqual(best.Model, comparison.RankBy("psnr")[0].Model);
            StringAssert.Contains(Assert.ThrowsExactly<ArgumentException>(() => comparison.RankBy("niqe")).Message, "was not evaluated");
        }
        finally { foreach (var r in rows) { File.Delete(r.Lr); File.Delete(r.Gt); } }
    }

    [TestMethod]
    public void Evaluate_BadOptions_ThrowNamingTheProblem()
    {
        var ml = new MLContext(seed: 1);
        var data = ml.Data.LoadFromEnumerable(new[] { new Row { Lr = "a.png", Gt = "b.png" } });
        var identity = ml.Transforms.CopyColumns("SuperResolved", "Lr").Fit(data);
        var models = new Dictionary<string, ITransformer> { ["copy"] = identity };
        StringAssert.Contains(Assert.ThrowsExactly<ArgumentException>(() => ml.SuperResolution.Evaluate(data, models,
            new SuperResolutionEvaluationOptions { Metrics = ["psnr"] })).Message, "needs ground truth");
        StringAssert.Contains(Assert.ThrowsExactly<ArgumentException>(() => ml.SuperResolution.Evaluate(data, models,
            new SuperResolutionEvaluationOptions { Metrics = ["nope"] })).Message, "Unknown metric 'nope'");
        StringAssert.Contains(Assert.ThrowsExactly<ArgumentException>(() => ml.SuperResolution.Evaluate(data, models,
            new SuperResolutionEvaluationOptions { SuperResolvedColumnName = "Missing", Metrics = ["niqe"] })).Message, "does not produce the column 'Missing'");
        Assert.ThrowsExactly<ArgumentException>(() => ml.SuperResolution.Evaluate(data, new Dictionary<string, ITransformer>()));
    }
}
