using HfDiff.Torch.Metrics;
using static TorchSharp.torch;

namespace HfDiff.Torch.Tests.Metrics;

[TestClass]
public class PsnrTests
{
    const double Tolerance = 1e-4; // dB, README §1 (float32 path)

    [TestMethod]
    [TestCategory("Parity.ClassicMetrics")]
    public void Compute_EveryFixtureRow_MatchesPyiqaWithin1e4dB()
    {
        double worst = 0;
        foreach (var row in IqaFixture.Rows("psnr"))
        {
            using var dist = IqaFixture.Image(row.Details["dist"]);
            using var reference = IqaFixture.Image(row.Details["ref"]);
            var options = new PsnrOptions { TestYChannel = row.Setting("y") == 1, CropBorder = row.Setting("cb") };
            double got = Psnr.Compute(dist, reference, options);
            double err = Math.Abs(got - row.Value);
            worst = Math.Max(worst, err);
            Assert.IsTrue(err <= Tolerance, $"{row}: got {got}, expected {row.Value}, |Δ| {err:E2} > {Tolerance:E0}");
        }
        Console.WriteLine($"PSNR max |Δ| = {worst:E2} dB");
    }

    [TestMethod]
    public void Compute_IdenticalImages_Is80dB()
    {
        using var x = rand(1, 3, 20, 24);
        // mse 0 → 10·log10(1 / 1e-8) in float32.
        Assert.AreEqual(80.0, Psnr.Compute(x, x), 1e-4);
    }

    [TestMethod]
    public void Compute_SizeMismatch_ThrowsNamingBothShapes()
    {
        using var a = rand(1, 3, 16, 16);
        using var b = rand(1, 3, 16, 18);
        var e = Assert.ThrowsExactly<ArgumentException>(() => Psnr.Compute(a, b));
        StringAssert.Contains(e.Message, "(1, 3, 16, 16)");
        StringAssert.Contains(e.Message, "(1, 3, 16, 18)");
    }

    [TestMethod]
    public void Compute_NotFloat32OrWrongRank_ThrowsNamingProblem()
    {
        using var d = rand(1, 3, 8, 8, ScalarType.Float64);
        StringAssert.Contains(Assert.ThrowsExactly<ArgumentException>(() => Psnr.Compute(d, d)).Message, "float32");
        using var r = rand(3, 8, 8);
        StringAssert.Contains(Assert.ThrowsExactly<ArgumentException>(() => Psnr.Compute(r, r)).Message, "(1, 3, H, W)");
    }

    [TestMethod]
    public void Score_NoReference_ThrowsArgumentNull()
    {
        using var psnr = new Psnr();
        using var a = rand(1, 3, 8, 8);
        Assert.ThrowsExactly<ArgumentNullException>(() => psnr.Score(a));
    }

    [TestMethod]
    public void Constructor_NegativeCropBorder_ThrowsNamingParameter()
    {
        var e = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => new Psnr(new PsnrOptions { CropBorder = -1 }));
        Assert.AreEqual("CropBorder", e.ParamName);
    }

    [TestMethod]
    [TestCategory("RealData.ClassicMetrics")]
    public void Compute_RealSrOsediffYcbcrY_MatchesPublishedWithin1e3dB()
    {
        // OSEDiff's test_metrics.py: pyiqa.create_metric('psnr', test_y_channel=True, color_space='ycbcr'), metric(sr, gt);
        // the CSV rounds to 6 decimals.
        var options = new PsnrOptions { TestYChannel = true, ColorSpace = YChannelColorSpace.YCbCr };
        double worst = 0;
        foreach (var row in RealSrOsediff.Rows())
        {
            using var sr = RealSrOsediff.Sr(row.Image);
            using var gt = RealSrOsediff.Gt(row.Image);
            double err = Math.Abs(Psnr.Compute(sr, gt, options) - row.Values["psnr"]);
            worst = Math.Max(worst, err);
            Assert.IsTrue(err <= 1e-3, $"{row.Image}: |Δ| {err:E2} dB > 1e-3");
        }
        Console.WriteLine($"PSNR (ycbcr Y) max |Δ| vs published = {worst:E2} dB");
    }
}
