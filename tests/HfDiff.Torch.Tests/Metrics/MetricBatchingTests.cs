using HfDiff.Tests.Common;
using HfDiff.Torch.Archs.Clip;
using HfDiff.Torch.Metrics;
using HfDiff.Torch.Metrics.ClipIqa;
using HfDiff.Torch.Metrics.Lpips;
using HfDiff.Torch.Metrics.Musiq;
using HfDiff.Torch.Tests.Metrics.ClipIqa;
using TorchSharp;
using static TorchSharp.torch;

namespace HfDiff.Torch.Tests.Metrics;

/// <summary>
/// <see cref="IImageQualityMetric.ScoreBatch"/> must give what <see cref="IImageQualityMetric.Score"/> gives image by
/// image (batched matrix products may round differently, hence a relative bound), for mixed sizes and in input order.
/// </summary>
[TestClass]
public class MetricBatchingTests
{
    const double BatchTol = 1e-5;

    public TestContext TestContext { get; set; } = null!;

    /// <summary>Three 64×64 images and two 48×80 ones, interleaved so that groups are not contiguous.</summary>
    static List<Tensor> MixedImages(int seed)
    {
        var gen = new Generator((ulong)seed);
        (long H, long W)[] sizes = [(64, 64), (48, 80), (64, 64), (48, 80), (64, 64)];
        return sizes.Select(s => rand([1, 3, s.H, s.W], generator: gen).mul(255).round().div(255)).ToList();
    }

    void AssertBatchMatchesSingles(IImageQualityMetric metric, List<Tensor> distorted, List<Tensor>? references)
    {
        var batch = metric.ScoreBatch(distorted, references);
        Assert.HasCount(distorted.Count, batch);
        double worst = 0;
        for (int i = 0; i < distorted.Count; i++)
        {
            double single = metric.Score(distorted[i], references?[i]);
            double rel = Math.Abs(batch[i] - single) / Math.Max(Math.Abs(single), 1e-12);
            worst = Math.Max(worst, rel);
            Assert.IsLessThan(BatchTol, rel, $"{metric.Name} image {i}: batch {batch[i]:G9} vs single {single:G9}");
        }
        // Distinct images must give distinct scores, or the comparison above could not catch a mix-up of order.
        Assert.HasCount(distorted.Count, batch.Select(v => Math.Round(v, 9)).Distinct(), $"{metric.Name}: scores of distinct images coincide");
        TestContext.WriteLine($"{metric.Name}: max relative batch-vs-single difference {worst:E2}");
    }

    static LpipsMetric RandomLpips()
    {
        torch.random.manual_seed(7);
        using var trunk = LpipsTrunk.Create(LpipsNet.Alex);
        var trunkSd = trunk.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value, StringComparer.Ordinal);
        var lin = Enumerable.Range(0, trunk.Channels.Count).ToDictionary(k => $"lin{k}.model.1.weight", k => torch.rand(1, trunk.Channels[k], 1, 1));
        try { return new LpipsMetric(LpipsNet.Alex, trunkSd, lin); }
        finally { foreach (var t in lin.Values) t.Dispose(); }
    }

    static MusiqMetric TinyMusiq()
    {
        torch.random.manual_seed(7);
        var options = new MusiqOptions { HiddenSize = 16, MlpDim = 32, NumHeads = 2, NumLayers = 1 };
        using var model = new MusiqModel(options);
        var sd = model.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value, StringComparer.Ordinal);
        return new MusiqMetric(options, sd);
    }

    [TestMethod]
    public void ScoreBatch_LpipsMixedSizes_EqualsScoreOneByOne()
    {
        using var scope = NewDisposeScope();
        using var lpips = RandomLpips();
        var dist = MixedImages(1);
        var refs = MixedImages(2);
        AssertBatchMatchesSingles(lpips, dist, refs);
    }

    [TestMethod]
    public void ScoreBatch_MusiqMixedSizes_EqualsScoreOneByOne()
    {
        using var scope = NewDisposeScope();
        using var musiq = TinyMusiq();
        AssertBatchMatchesSingles(musiq, MixedImages(3), null);
    }

    [TestMethod]
    [TestCategory("Parity.Clipiqa")]
    public void ScoreBatch_ClipIqaFixtureModelMixedSizes_EqualsScoreOneByOne()
    {
        var fx = new ClipIqaFixture();
        using var scope = NewDisposeScope();
        using var clip = ClipModel.Load(fx.PlainWeights);
        using var metric = new ClipIqaMetric(clip, fx.Tokenizer, new ClipIqaOptions { Prompts = fx.Prompts });
        AssertBatchMatchesSingles(metric, MixedImages(4), null);
    }

    [TestMethod]
    public void ByEqualSize_Cpu_StacksSmallImagesUpToThePixelBudgetOnly()
    {
        using var scope = NewDisposeScope();
        using var musiq = TinyMusiq();   // only its name and mode are used here
        long side = (long)Math.Sqrt(MetricBatching.CpuPixelsPerForward);
        long small = side / 4;            // 16 of these fit the budget
        var sizes = new long[] { side, small, side, small, small };
        var images = sizes.Select(n => torch.zeros(1, 3, n, n)).ToList();
        var stacks = new List<(long Count, long Side)>();
        var scores = MetricBatching.ByEqualSize(musiq, images, null, CPU, (d, _) =>
        {
            stacks.Add((d.shape[0], d.shape[2]));
            return torch.full(d.shape[0], (double)d.shape[2]);
        });
        CollectionAssert.AreEqual(sizes.Select(n => (double)n).ToArray(), scores.ToArray());
        CollectionAssert.AreEqual(new[] { (1L, side), (1L, side), (3L, small) }, stacks.OrderByDescending(s => s.Side).ToArray());
    }

    [TestMethod]
    public void ScoreEach_OneImageTooSmall_OnlyThatImageGetsItsError()
    {
        using var scope = NewDisposeScope();
        using IImageQualityMetric lpips = RandomLpips();
        var dist = MixedImages(1);
        var refs = MixedImages(2);
        dist[2] = torch.rand(1, 3, 16, 16);   // below AlexNet's minimum size
        refs[2] = torch.rand(1, 3, 16, 16);
        var results = MetricBatching.ScoreEach(lpips, dist, refs);
        for (int i = 0; i < dist.Count; i++)
        {
            if (i == 2)
            {
                Assert.IsInstanceOfType<ArgumentException>(results[i].Error);
                StringAssert.Contains(results[i].Error!.Message, "got 16×16");
                continue;
            }
            Assert.IsNull(results[i].Error, $"image {i}");
            Assert.AreEqual(lpips.Score(dist[i], refs[i]), results[i].Score, 1e-5 * Math.Abs(results[i].Score), $"image {i}");
        }
    }

    [TestMethod]
    public void ScoreBatch_PsnrDefaultImplementation_EqualsScoreExactly()
    {
        using var scope = NewDisposeScope();
        using var psnr = MetricRegistry.Create("psnr");
        var dist = MixedImages(5);
        var refs = MixedImages(6);
        var batch = psnr.ScoreBatch(dist, refs);
        for (int i = 0; i < dist.Count; i++) Assert.AreEqual(psnr.Score(dist[i], refs[i]), batch[i], 0.0, $"image {i}");
    }

    [TestMethod]
    public void ScoreBatch_BadBatches_ThrowNamingTheProblem()
    {
        using var scope = NewDisposeScope();
        using IImageQualityMetric lpips = RandomLpips();
        var dist = MixedImages(1);
        var e1 = Assert.ThrowsExactly<ArgumentNullException>(() => lpips.ScoreBatch(dist, null));
        StringAssert.Contains(e1.Message, "full-reference");
        var e2 = Assert.ThrowsExactly<ArgumentException>(() => lpips.ScoreBatch(dist, dist.Take(2).ToList()));
        StringAssert.Contains(e2.Message, "5 distorted images but 2 references");
        var swapped = new List<Tensor>(dist) { [0] = dist[1] };
        var e3 = Assert.ThrowsExactly<ArgumentException>(() => lpips.ScoreBatch(swapped, dist));
        StringAssert.Contains(e3.Message, "distorted[0]");
        using IImageQualityMetric musiq = TinyMusiq();
        var e4 = Assert.ThrowsExactly<ArgumentException>(() => musiq.ScoreBatch(dist, dist));
        StringAssert.Contains(e4.Message, "no-reference");
        var e5 = Assert.ThrowsExactly<ArgumentException>(() => musiq.ScoreBatch([torch.rand(2, 3, 64, 64)]));
        StringAssert.Contains(e5.Message, "distorted[0]");
    }

    [TestMethod]
    public void MoveTo_Cpu_KeepsScoresAndReportsDevice()
    {
        using var scope = NewDisposeScope();
        using IImageQualityMetric lpips = RandomLpips();
        var dist = MixedImages(1);
        var refs = MixedImages(2);
        double before = lpips.Score(dist[0], refs[0]);
        lpips.MoveTo(CPU);
        Assert.AreEqual(DeviceType.CPU, lpips.Device.type);
        Assert.AreEqual(before, lpips.Score(dist[0], refs[0]), 0.0);
    }

    [TestMethod]
    public void Create_UnavailableOrInvalidDevice_ThrowsNamingTheDevice()
    {
        if (torch.cuda.is_available()) Assert.Inconclusive("CUDA is available here; this test checks the refusal without it.");
        var e1 = Assert.ThrowsExactly<ArgumentException>(() => MetricRegistry.Create("psnr", null, null, "cuda:0"));
        StringAssert.Contains(e1.Message, "'cuda:0'");
        StringAssert.Contains(e1.Message, "CUDA is not available");
        var e2 = Assert.ThrowsExactly<ArgumentException>(() => MetricRegistry.Create("psnr", null, null, "gpu7"));
        StringAssert.Contains(e2.Message, "'gpu7'");
        using var cpu = MetricRegistry.Create("psnr", null, null, "cpu");
        Assert.AreEqual("psnr", cpu.Name);
    }
}
