using HfDiff.Tests.Common;
using HfDiff.Torch.Losses.Perceptual;
using HfDiff.Torch.Metrics.Lpips;
using static TorchSharp.torch;

namespace HfDiff.Torch.Tests.Losses.Perceptual;

[TestClass]
public class LpipsPerceptualLossTests
{
    static LpipsMetric FixtureAlex()
    {
        var dir = Path.Combine(TestPaths.Fixture("iqa"), "checkpoints");
        return LpipsMetric.FromFiles(LpipsNet.Alex, Path.Combine(dir, "alexnet_features_seeded.pth"), Path.Combine(dir, "lpips_v0.1_alex.pth"));
    }

    [TestMethod]
    [TestCategory("Parity.Lpips")]
    public void Compute_EqualsMetricDistance_AndGradientReachesSrOnly()
    {
        using var lpips = FixtureAlex();
        var loss = new LpipsPerceptualLoss(lpips, inputsInZeroOne: true, weight: 2.0);
        using var g = new Generator(3);
        using var gt = rand(new long[] { 2, 3, 64, 64 }, generator: g);
        using var sr = (gt + 0.1 * randn(new long[] { 2, 3, 64, 64 }, generator: g)).clamp(0, 1).detach().requires_grad_(true);
        using var value = loss.Compute(sr, gt);
        using (var reference = lpips.Forward(sr.detach(), gt, normalize: true))
        using (var expected = reference.Distance.mean() * 2.0)
            Assert.AreEqual(expected.item<float>(), value.item<float>(), 1e-6f);
        value.backward();
        Assert.IsNotNull(sr.grad);
        using var gradNorm = sr.grad!.norm();
        Assert.IsTrue(gradNorm.item<float>() > 0, "gradient must reach SR");
        Assert.IsTrue(lpips.parameters().All(p => p.grad is null), "LPIPS weights stay frozen");
        using var same = loss.Compute(gt, gt);
        Assert.AreEqual(0f, same.item<float>(), 1e-7f);
    }
}
