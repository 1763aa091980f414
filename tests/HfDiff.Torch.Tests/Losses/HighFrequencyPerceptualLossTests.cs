using HfDiff.Torch.Archs.HfDiff;
using HfDiff.Torch.Losses;
using TorchSharp;
using static TorchSharp.torch;

namespace HfDiff.Torch.Tests.Losses;

[TestClass]
public class HighFrequencyPerceptualLossTests
{
    static HfDiffInnFeatureExtractor Extractor()
    {
        torch.manual_seed(5);
        var net = new HfDiffInnFeatureExtractor(new() { Channels = 8, NumNodes = 2, StemDepth = 1, NumClasses = 4 });
        foreach (var p in net.parameters()) p.requires_grad = false;
        return net;
    }

    [TestMethod]
    public void Compute_Latents_IsPointTwoTimesFeatureMse()
    {
        using var net = Extractor();
        var loss = new HighFrequencyPerceptualLoss(net);
        Assert.AreEqual(0.2, loss.Options.EffectiveWeight);
        using var sr = torch.randn(2, 3, 16, 16);
        using var gt = torch.randn(2, 3, 16, 16);
        using var value = loss.Compute(sr, gt);
        using var fs = net.forward(sr);
        using var fg = net.forward(gt);
        using var manual = (fs - fg).pow(2).mean() * 0.2;
        Assert.AreEqual(manual.item<float>(), value.item<float>(), 1e-6 * manual.item<float>());
        Assert.IsTrue(value.item<float>() > 0);
    }

    [TestMethod]
    public void Compute_RgbDomain_DefaultWeightOneAndExplicitWeightWins()
    {
        Assert.AreEqual(1.0, new HighFrequencyPerceptualLossOptions { Domain = HighFrequencyLossDomain.Rgb }.EffectiveWeight);
        Assert.AreEqual(0.5, new HighFrequencyPerceptualLossOptions { Domain = HighFrequencyLossDomain.VqLatent, Weight = 0.5 }.EffectiveWeight);
        using var net = Extractor();
        using var sr = torch.rand(1, 3, 12, 12);
        using var gt = torch.rand(1, 3, 12, 12);
        using var rgb = new HighFrequencyPerceptualLoss(net, new() { Domain = HighFrequencyLossDomain.Rgb }).Compute(sr, gt);
        using var lat = new HighFrequencyPerceptualLoss(net).Compute(sr, gt);
        Assert.AreEqual(rgb.item<float>() * 0.2, lat.item<float>(), 1e-6 * rgb.item<float>());
    }

    [TestMethod]
    public void Compute_SrRequiresGrad_GradientReachesSrOnly()
    {
        using var net = Extractor();
        var loss = new HighFrequencyPerceptualLoss(net);
        using var sr = torch.randn(1, 3, 8, 8).requires_grad_(true);
        using var gt = torch.randn(1, 3, 8, 8).requires_grad_(true);
        using var value = loss.Compute(sr, gt);
        value.backward();
        Assert.IsTrue(sr.grad!.abs().sum().item<float>() > 0);
        Assert.IsNull(gt.grad);
        using var same = loss.Compute(gt, gt);
        Assert.AreEqual(0.0, same.item<float>(), 0.0);
    }

    [TestMethod]
    public void Compute_WrongChannels_ThrowsNamingDomain()
    {
        using var net = Extractor();
        var loss = new HighFrequencyPerceptualLoss(net);
        using var a = torch.zeros(1, 4, 8, 8);
        var e = Assert.ThrowsExactly<ArgumentException>(() => loss.Compute(a, a));
        StringAssert.Contains(e.Message, "latents must be (B, 3, H, W)");
        Assert.AreEqual("Weight", Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => new HighFrequencyPerceptualLoss(net, new() { Weight = -1 })).ParamName);
    }
}
