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
/// Each metric's minimum image size (<see cref="IImageQualityMetric.SizeProblem"/>): one pixel less in either side is a
/// one-line <see cref="ArgumentException"/> naming the size and the minimum, raised before libtorch sees the image,
/// through Score and ScoreBatch alike; the minimum itself scores (finite). The minimums were found by running the
/// networks: AlexNet fails below 31 ("Output size is too small" in its last max-pool), VGG16 below 16, CLIP RN50 below 32.
/// </summary>
[TestClass]
public class MetricSizeTests
{
    /// <summary>Asserts that (h-1)×w and h×(w-1) are refused by Score and ScoreBatch and that h×w scores.</summary>
    static void AssertMinimum(IImageQualityMetric metric, int h, int w, string minimumText)
    {
        bool fr = metric.Mode == MetricMode.FullReference;
        foreach (var (th, tw) in new[] { (h - 1, w), (h, w - 1) })
        {
            using var small = rand(1, 3, th, tw);
            var e = Assert.ThrowsExactly<ArgumentException>(() => metric.Score(small, fr ? small : null), $"{metric.Name} {th}×{tw}");
            StringAssert.Contains(e.Message, $"got {th}×{tw}");
            StringAssert.Contains(e.Message, minimumText);
            Assert.DoesNotContain("\n", e.Message, "one line");
            Assert.IsNull(e.ParamName, "no ' (Parameter …)' suffix");
            var batch = Assert.ThrowsExactly<ArgumentException>(() => metric.ScoreBatch([small, small], fr ? [small, small] : null));
            StringAssert.Contains(batch.Message, $"got {th}×{tw}");
            Assert.IsNotNull(metric.SizeProblem(th, tw));
        }
        Assert.IsNull(metric.SizeProblem(h, w), $"{metric.Name} {h}×{w}");
        using var ok = rand(1, 3, h, w);
        using var reference = rand(1, 3, h, w);
        Assert.IsTrue(double.IsFinite(metric.Score(ok, fr ? reference : null)), $"{metric.Name} at its minimum {h}×{w}");
    }

    static LpipsMetric RandomLpips(LpipsNet net)
    {
        torch.random.manual_seed(11);
        using var trunk = LpipsTrunk.Create(net);
        var trunkSd = trunk.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value, StringComparer.Ordinal);
        var lin = Enumerable.Range(0, trunk.Channels.Count).ToDictionary(k => $"lin{k}.model.1.weight", k => torch.rand(1, trunk.Channels[k], 1, 1));
        try { return new LpipsMetric(net, trunkSd, lin); }
        finally { foreach (var t in lin.Values) t.Dispose(); }
    }

    [TestMethod]
    public void Lpips_Alex_Needs31()
    {
        using var m = RandomLpips(LpipsNet.Alex);
        AssertMinimum(m, 31, 31, "at least 31×31 pixels");
    }

    [TestMethod]
    public void Lpips_Vgg_Needs16()
    {
        using var m = RandomLpips(LpipsNet.Vgg);
        AssertMinimum(m, 16, 16, "at least 16×16 pixels");
    }

    [TestMethod]
    public void Ssim_Needs11PlusCrop()
    {
        using var plain = new Ssim();
        AssertMinimum(plain, 11, 11, "at least 11×11 pixels");
        using var cropped = new Ssim(new SsimOptions { CropBorder = 4 });
        AssertMinimum(cropped, 19, 19, "at least 19×19 pixels (its 11×11 Gaussian window after crop_border 4");
    }

    [TestMethod]
    public void Psnr_AnySizeButCropMustLeaveAPixel()
    {
        using var plain = new Psnr();
        Assert.IsNull(plain.SizeProblem(1, 1));
        using var cropped = new Psnr(new PsnrOptions { CropBorder = 2 });
        AssertMinimum(cropped, 5, 5, "at least 5×5 pixels (crop_border 2");
    }

    [TestMethod]
    public void Niqe_NeedsTwoBlocks()
    {
        var cov = new double[NiqeParameters.FeatureCount * NiqeParameters.FeatureCount];
        for (int i = 0; i < NiqeParameters.FeatureCount; i++) cov[i * NiqeParameters.FeatureCount + i] = 1;
        using var niqe = new Niqe(new NiqeParameters(new double[NiqeParameters.FeatureCount], cov));
        // 128×128 (the bundled samples) holds one 96×96 block: refused up front, not deep inside the covariance fit.
        using var sample = rand(1, 3, 128, 128);
        var e = Assert.ThrowsExactly<ArgumentException>(() => niqe.Score(sample));
        Assert.AreEqual("niqe needs images with at least two 96×96 blocks, i.e. at least 96×192 or 192×96 pixels; got 128×128 (1 block).", e.Message);
        AssertMinimum(niqe, 96, 192, "two 96×96 blocks");
        AssertMinimum(niqe, 192, 96, "two 96×96 blocks");
    }

    [TestMethod]
    public void Musiq_AnySizeUpToAnExtremeAspectRatio()
    {
        var options = new MusiqOptions { HiddenSize = 16, MlpDim = 32, NumHeads = 2, NumLayers = 1 };
        using var model = new MusiqModel(options);
        var sd = model.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value, StringComparer.Ordinal);
        using var musiq = new MusiqMetric(options, sd);
        using var one = rand(1, 3, 1, 1);
        Assert.IsTrue(double.IsFinite(musiq.Score(one)));
        // Longer side 4000 at the 224 scale: the shorter side must exceed 4000/448, i.e. be at least 9.
        Assert.IsNull(musiq.SizeProblem(9, 4000));
        using var thin = rand(1, 3, 8, 4000);
        var e = Assert.ThrowsExactly<ArgumentException>(() => musiq.Score(thin));
        StringAssert.Contains(e.Message, "at least 9 pixels for a longer side of 4000");
        StringAssert.Contains(e.Message, "got 8×4000");
    }

    [TestMethod]
    [TestCategory("Parity.Clipiqa")]
    public void ClipIqa_Needs32()
    {
        var tokenizer = new ClipIqaFixture().Tokenizer; // outside any Throws: a missing fixture skips
        torch.random.manual_seed(3);
        using var clip = new ClipModel(new ClipOptions
        {
            EmbedDim = 32, VisionLayers = (1, 1, 1, 1), VisionWidth = 8, TransformerWidth = 32, TransformerHeads = 2, TransformerLayers = 1,
        });
        clip.eval();
        using var metric = new ClipIqaMetric(clip, tokenizer, new ClipIqaOptions());
        AssertMinimum(metric, 32, 32, "at least 32×32 pixels (CLIP's ResNet-50 reduces by 32)");
    }
}
