using HfDiff.Tests.Common;
using HfDiff.Torch.Assets;
using HfDiff.Torch.Metrics;
using static TorchSharp.torch;

namespace HfDiff.Torch.Tests.Metrics;

[TestClass]
public class NiqeTests
{
    const double ScoreRelTolerance = 1e-6;   // README NIQE (float64 path)
    // Intermediates: measured agreement is ~1e-11 or better; these bounds still catch a single AGGD grid step (1e-3).
    const double FeatureTolerance = 1e-8;
    const double PlaneTolerance = 1e-9;

    static Niqe FixtureNiqe(NiqeOptions? options = null)
    {
        var (mu, cov) = IqaFixture.NiqeParameterArrays();
        return new Niqe(new NiqeParameters(mu, cov), options);
    }

    [TestMethod]
    [TestCategory("Parity.ClassicMetrics")]
    public void Score_EveryFixtureRow_MatchesPyiqaWithinRel1e6()
    {
        var (mu, cov) = IqaFixture.NiqeParameterArrays();
        var parameters = new NiqeParameters(mu, cov);
        double worst = 0;
        foreach (var row in IqaFixture.Rows("niqe"))
        {
            using var img = IqaFixture.Image(row.Details["img"]);
            double got = Niqe.Compute(img, parameters);
            double rel = Math.Abs(got - row.Value) / Math.Abs(row.Value);
            worst = Math.Max(worst, rel);
            Assert.IsTrue(rel <= ScoreRelTolerance, $"{row}: got {got}, expected {row.Value}, rel {rel:E2}");
        }
        Console.WriteLine($"NIQE max rel error = {worst:E2}");
    }

    [TestMethod]
    [TestCategory("Parity.ClassicMetrics")]
    public void Analyze_FixtureIntermediates_MatchPyiqa()
    {
        using var io = new FixtureTensors(Path.Combine(IqaFixture.Dir, "io.safetensors"));
        using var niqe = FixtureNiqe();
        var rows = IqaFixture.Rows("niqe");
        var images = io.WithPrefix("niqe.").Select(n => n.Split('.')[1]).Distinct().ToList();
        Assert.IsTrue(images.Count > 0, "io.safetensors has no niqe.* tensors");
        int checkedTensors = 0;
        foreach (var image in images)
        {
            var row = rows.First(r => r.Image == image);
            using var img = IqaFixture.Image(row.Details["img"]);
            var a = niqe.Analyze(img);
            int bs = niqe.Options.BlockSize;
            foreach (var name in io.WithPrefix($"niqe.{image}."))
            {
                string what = name[(name.LastIndexOf('.') + 1)..];
                var expected = IqaFixture.ToDoubles(io[name]);
                var shape = io[name].shape;
                double[] actual;
                double tol;
                switch (what)
                {
                    case "y255_rounded": actual = a.Y255; tol = 0; break;
                    case "feat_scale1": actual = a.FeaturesScale1; tol = FeatureTolerance; break;
                    case "feat_scale2": actual = a.FeaturesScale2; tol = FeatureTolerance; break;
                    case "mu_dist": actual = a.MuDist; tol = FeatureTolerance; break;
                    case "cov_dist": actual = a.CovDist; tol = FeatureTolerance; break;
                    case "normalized_scale1_first_block": actual = TopLeft(a.NormalizedScale1, a.CroppedWidth, (int)shape[0], (int)shape[1]); tol = PlaneTolerance; break;
                    case "normalized_scale2_first_block": actual = TopLeft(a.NormalizedScale2, a.CroppedWidth / 2, (int)shape[0], (int)shape[1]); tol = PlaneTolerance; break;
                    // The fixture's half-resolution tensors hold imresize(img/255, 0.5) itself, i.e. before the ×255
                    // (values in [0,1], float32-exact), despite the y255 in the name; compare on that scale.
                    case "half_res_y255": actual = Scale(a.HalfResY255, 1 / 255.0); tol = 1e-12; break;
                    case "half_res_first_block": actual = Scale(TopLeft(a.HalfResY255, a.CroppedWidth / 2, (int)shape[0], (int)shape[1]), 1 / 255.0); tol = 1e-12; break;
                    default: Assert.Fail($"Unknown NIQE intermediate '{name}'"); return;
                }
                if (what is "feat_scale1" or "feat_scale2")
                    Assert.AreEqual(shape[0], (long)a.BlockCount, $"{name}: block count");
                if (what == "half_res_y255")
                    Assert.AreEqual(shape[0] * shape[1], (long)a.HalfResY255.Length, $"{name}: size");
                double err = IqaFixture.MaxAbs(actual, expected);
                Assert.IsTrue(err <= tol, $"{name}: max |Δ| {err:E2} > {tol:E0}");
                checkedTensors++;
            }
        }
        Console.WriteLine($"checked {checkedTensors} NIQE intermediates");
    }

    static double[] TopLeft(double[] plane, int width, int h, int w)
    {
        var b = new double[h * w];
        for (int r = 0; r < h; r++) Array.Copy(plane, r * width, b, r * w, w);
        return b;
    }

    static double[] Scale(double[] v, double s) => v.Select(x => x * s).ToArray();

    [TestMethod]
    [TestCategory("RealData.ClassicMetrics")]
    public void Score_RealSrOsediff_MatchesPublishedWithin002()
    {
        // OSEDiff's test_metrics.py: pyiqa.create_metric('niqe') defaults on the SR image (pyiqa 0.1.10).
        using var niqe = FixtureNiqe();
        var gaps = new List<double>();
        foreach (var row in RealSrOsediff.Rows())
        {
            using var sr = RealSrOsediff.Sr(row.Image);
            double gap = Math.Abs(niqe.Score(sr) - row.Values["niqe"]);
            gaps.Add(gap);
            Assert.IsTrue(gap <= 0.02, $"{row.Image}: |Δ| {gap:E2} > 0.02");
        }
        double median = RealSrOsediff.Median(gaps);
        Console.WriteLine($"NIQE vs published: max |Δ| {gaps.Max():E2}, median {median:E2}");
        Assert.IsTrue(median <= 2e-3, $"median |Δ| {median:E2} > 2e-3");
    }

    [TestMethod]
    public void Score_ImageSmallerThanOneBlock_ThrowsNamingBlockSize()
    {
        using var niqe = FixtureNiqe();
        using var small = rand(1, 3, 95, 200);
        var e = Assert.ThrowsExactly<ArgumentException>(() => niqe.Score(small));
        StringAssert.Contains(e.Message, "96×96");
        StringAssert.Contains(e.Message, "95×200");
    }

    [TestMethod]
    public void Score_OnlyOneBlock_ThrowsNeedingTwoBlocks()
    {
        // pyiqa's nancov divides by (blocks − 1) and fails with ZeroDivisionError for a single block.
        using var niqe = FixtureNiqe();
        using var img = rand(1, 3, 100, 150);
        var message = Assert.ThrowsExactly<ArgumentException>(() => niqe.Score(img)).Message;
        StringAssert.Contains(message, "two 96×96 blocks");
        StringAssert.Contains(message, "got 100×150 (1 block)");
    }

    [TestMethod]
    public void Score_CropBorderLeavesLessThanOneBlock_Throws()
    {
        using var niqe = FixtureNiqe(new NiqeOptions { CropBorder = 10 });
        using var img = rand(1, 3, 110, 110);
        StringAssert.Contains(Assert.ThrowsExactly<ArgumentException>(() => niqe.Score(img)).Message, "116×212 or 212×116 pixels with crop_border 10");
    }

    [TestMethod]
    public void FromModelDirectory_NoParameterFile_ThrowsNamingBothFiles()
    {
        var dir = Directory.CreateTempSubdirectory("hfdiff-niqe-empty-");
        try
        {
            var e = Assert.ThrowsExactly<ModelAssetMissingException>(() => Niqe.FromModelDirectory(new ModelDirectory(dir.FullName)));
            StringAssert.Contains(e.Message, KnownAssets.NiqeMatlabParams.FileName);
            StringAssert.Contains(e.Message, KnownAssets.NiqeBasicSrParams.FileName);
            StringAssert.Contains(e.Message, dir.FullName);
        }
        finally { dir.Delete(true); }
    }

    [TestMethod]
    public void Constructor_OddBlockSize_ThrowsNamingParameter()
    {
        var (mu, cov) = (new double[36], new double[36 * 36]);
        var e = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => new Niqe(new NiqeParameters(mu, cov), new NiqeOptions { BlockSize = 95 }));
        Assert.AreEqual("BlockSize", e.ParamName);
    }

    [TestMethod]
    public void AggdGrid_MatchesTorchArangeLength()
    {
        // torch.arange(0.2, 10.001, 0.001) has ceil((10.001 - 0.2) / 0.001) = 9801 float32 values from 0.2 to 10.
        var g = AggdFit.GammaGrid();
        Assert.AreEqual(9801, g.Length);
        Assert.AreEqual((double)0.2f, g[0]);
        Assert.AreEqual(10.0, g[^1]);
        Assert.IsTrue(AggdFit.Grid.Value.RatioIncreasing);
    }

    [TestMethod]
    public void NearestRatio_ManyStatistics_EqualsLinearArgmin()
    {
        var t = AggdFit.Grid.Value;
        var rng = new Random(7);
        for (int i = 0; i < 2000; i++)
        {
            // Across and beyond the table's range, plus exact table values and midpoints.
            double x = i % 3 == 0 ? rng.NextDouble() : i % 3 == 1 ? t.Ratio[rng.Next(t.Ratio.Length)] : (t.Ratio[i % 9800] + t.Ratio[i % 9800 + 1]) / 2;
            Assert.AreEqual(AggdFit.LinearArgmin(t.Ratio, x), AggdFit.NearestRatio(x), $"x = {x:R}");
        }
        Assert.AreEqual(0, AggdFit.NearestRatio(double.NaN));
    }
}
