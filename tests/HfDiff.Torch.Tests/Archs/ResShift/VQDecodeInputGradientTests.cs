using HfDiff.Tests.Common;
using HfDiff.Torch.Archs.ResShift;
using TorchSharp;
using static TorchSharp.torch;

namespace HfDiff.Torch.Tests.Archs.ResShift;

/// <summary><see cref="VQModelTorch.DecodeInputGradient"/> (stage-by-stage backward) against autograd through a whole Decode graph.</summary>
[TestClass]
public class VQDecodeInputGradientTests
{
    [TestMethod]
    [DataRow(false)]
    [DataRow(true)]
    public void DecodeInputGradient_EqualsBackwardThroughDecode(bool forceNotQuantize)
    {
        using var fx = new Pipelines.SrModelFixture();
        using var vq = new VQModelTorch(fx.VqOptions);
        global::HfDiff.Torch.Weights.Checkpoint.LoadInto(vq, fx.VqPath, strict: true);
        vq.eval();
        foreach (var p in vq.parameters()) p.requires_grad = false;
        using var scope = NewDisposeScope();
        manual_seed(5);
        long side = 16;
        var z = randn(2, fx.VqOptions.EmbedDim, side, side);
        long[] shape;
        using (no_grad()) shape = vq.Decode(z, forceNotQuantize).shape;   // for the upstream gradient
        var upstream = randn(shape);

        var zg = z.detach().requires_grad_(true);
        var whole = torch.autograd.grad([(vq.Decode(zg, forceNotQuantize) * upstream).sum()], [zg])[0];
        var staged = vq.DecodeInputGradient(z, upstream, forceNotQuantize);

        CollectionAssert.AreEqual(z.shape, staged.shape);
        double err = TensorAssert.RelL2(staged, whole);
        Console.WriteLine($"forceNotQuantize {forceNotQuantize}: staged vs whole-graph gradient rel L2 {err:E2}");
        Assert.IsTrue(err < 1e-6, $"staged decoder gradient rel L2 {err:E2}");
        Assert.IsTrue(vq.parameters().All(p => p.grad is null), "the frozen decoder got gradients");
    }
}
