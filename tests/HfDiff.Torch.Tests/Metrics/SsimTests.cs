using HfDiff.Tests.Common;
using HfDiff.Torch.Metrics;
using static TorchSharp.torch;

namespace HfDiff.Torch.Tests.Metrics;

[TestClass]
public class SsimTests
{
    const double Tolerance = 1e-6; // abs, README §1 (float64 path)

    [TestMethod]
    [TestCategory("Parity.ClassicMetrics")]
    public void Compute_EveryFixtureRow_MatchesPyiqaWithin1e6()
    {
        double worst = 0;
        foreach (var row in IqaFixture.Rows("ssim"))
        {
            using var dist = IqaFixture.Image(row.Details["dist"]);
            using var reference = IqaFixture.Image(row.Details["ref"]);
            var options = new SsimOptions { TestYChannel = row.Setting("y") == 1, CropBorder = row.Setting("cb"), Downsample = row.Setting("ds") == 1 };
            double got = Ssim.Compute(dist, reference, options);
            double err = Math.Abs(got - row.Value);
            worst = Math.Max(worst, err);
            Assert.IsTrue(err <= Tolerance, $"{row}: got {got}, expected {row.Value}, |Δ| {err:E2} > {Tolerance:E0}");
        }
        Console.WriteLine($"SSIM max |Δ| = {worst:E2}");
    }

    [TestMethod]
    [TestCategory("Parity.ClassicMetrics")]
    public void RoundedY_FixturePairs_EqualPyiqaExactly()
    {
        // io: ssim.<pair>.dist_y255 / ref_y255 = round(255·YIQ-Y) (uint8) of the pair's images named in expected.csv.
        using var io = new FixtureTensors(Path.Combine(IqaFixture.Dir, "io.safetensors"));
        var rows = IqaFixture.Rows("ssim");
        var names = io.WithPrefix("ssim.").Where(n => n.EndsWith("_y255", StringComparison.Ordinal)).ToList();
        Assert.IsTrue(names.Count > 0, "io.safetensors has no ssim.*_y255 tensors");
        foreach (var name in names)
        {
            var parts = name.Split('.');
            string pair = parts[1], which = parts[2][..parts[2].IndexOf('_')];
            var row = rows.First(r => r.Image == pair);
            using var img = IqaFixture.Image(row.Details[which]);
            var y = LumaConversion.ToRounded255(MetricImage.FromTensor(img, "img"), testYChannel: true, YChannelColorSpace.Yiq);
            Assert.AreEqual(1, y.Length);
            var expected = IqaFixture.ToDoubles(io[name]);
            int mismatches = 0;
            for (int i = 0; i < expected.Length; i++) if (y[0][i] != expected[i]) mismatches++;
            Assert.AreEqual(expected.Length, y[0].Length, name);
            Assert.AreEqual(0, mismatches, $"{name}: {mismatches} pixels differ");
        }
    }

    [TestMethod]
    [TestCategory("RealData.ClassicMetrics")]
    public void Compute_RealSrOsediffYcbcrY_MatchesPublishedWithin1e4()
    {
        // OSEDiff's test_metrics.py: pyiqa.create_metric('ssim', test_y_channel=True, color_space='ycbcr'), metric(sr, gt).
        var options = new SsimOptions { TestYChannel = true, ColorSpace = YChannelColorSpace.YCbCr };
        double worst = 0;
        foreach (var row in RealSrOsediff.Rows())
        {
            using var sr = RealSrOsediff.Sr(row.Image);
            using var gt = RealSrOsediff.Gt(row.Image);
            double err = Math.Abs(Ssim.Compute(sr, gt, options) - row.Values["ssim"]);
            worst = Math.Max(worst, err);
            Assert.IsTrue(err <= 1e-4, $"{row.Image}: |Δ| {err:E2} > 1e-4");
        }
        Console.WriteLine($"SSIM (ycbcr Y) max |Δ| vs published = {worst:E2}");
    }

    [TestMethod]
    public void Compute_IdenticalImages_IsOne()
    {
        using var x = rand(1, 3, 32, 40);
        Assert.AreEqual(1.0, Ssim.Compute(x, x), 1e-12);
        Assert.AreEqual(1.0, Ssim.Compute(x, x, new SsimOptions { TestYChannel = false }), 1e-12);
    }

    [TestMethod]
    public void Compute_SizeMismatch_ThrowsNamingBothShapes()
    {
        using var a = rand(1, 3, 32, 32);
        using var b = rand(1, 3, 30, 32);
        var e = Assert.ThrowsExactly<ArgumentException>(() => Ssim.Compute(a, b));
        StringAssert.Contains(e.Message, "(1, 3, 32, 32)");
        StringAssert.Contains(e.Message, "(1, 3, 30, 32)");
    }

    [TestMethod]
    public void Compute_SmallerThanWindow_ThrowsNamingSize()
    {
        using var a = rand(1, 3, 10, 40);
        StringAssert.Contains(Assert.ThrowsExactly<ArgumentException>(() => Ssim.Compute(a, a)).Message, "11×11");
    }
}
