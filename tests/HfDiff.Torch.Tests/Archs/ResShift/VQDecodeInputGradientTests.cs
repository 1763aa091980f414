using HfDiff.Tests.Common;
using HfDiff.Torch.Archs.ResShift;
using TorchSharp;
using static TorchSharp.torch;

namespace HfDiff.Torch.Tests.Archs.ResShift;

/// <summary><see cref="VQModelTorch.DecodeInputGradient"/> and <see cref="VQModelTorch.DecodeTraced"/> (stage-by-stage backward)
/// against Decode and autograd through a whole Decode graph.</summary>
[TestClass]
public class VQDecodeInputGradientTests
{
    /// <summary>The SR fixture's VQ, in eval mode with every parameter frozen (as the trainer's image terms use it).</summary>
    static VQModelTorch FrozenVq(Pipelines.SrModelFixture fx)
    {
        var vq = new VQModelTorch(fx.VqOptions);
        global::HfDiff.Torch.Weights.Checkpoint.LoadInto(vq, fx.VqPath, strict: true);
        vq.eval();
        foreach (var p in vq.parameters()) p.requires_grad = false;
        return vq;
    }

    [TestMethod]
    [DataRow(false)]
    [DataRow(true)]
    public void DecodeInputGradient_EqualsBackwardThroughDecode(bool forceNotQuantize)
    {
        using var fx = new Pipelines.SrModelFixture();
        using var vq = FrozenVq(fx);
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

    /// <summary>The traced decode gives Decode's image and the whole-graph gradient without decoding again; its tensors
    /// outlive the caller's dispose scope, and its gradient can be taken once.</summary>
    [TestMethod]
    [DataRow(false)]
    [DataRow(true)]
    public void DecodeTraced_ImageEqualsDecode_GradientEqualsBackwardThroughDecode(bool forceNotQuantize)
    {
        using var fx = new Pipelines.SrModelFixture();
        using var vq = FrozenVq(fx);
        using var scope = NewDisposeScope();
        manual_seed(6);
        var z = randn(2, fx.VqOptions.EmbedDim, 16, 12);
        Tensor decoded;
        using (no_grad()) decoded = vq.Decode(z, forceNotQuantize);
        var upstream = randn(decoded.shape);
        var zg = z.detach().requires_grad_(true);
        var whole = torch.autograd.grad([(vq.Decode(zg, forceNotQuantize) * upstream).sum()], [zg])[0];

        VQDecodeTrace trace;
        using (NewDisposeScope()) trace = vq.DecodeTraced(z, forceNotQuantize);   // the trace owns its tensors past this scope
        using (trace)
        {
            Assert.IsFalse(trace.Image.requires_grad, "the traced image has no graph");
            double imageErr = TensorAssert.RelL2(trace.Image, decoded);
            // The trace runs the stages in a training forward's grad mode, Decode here under no_grad (another attention
            // kernel): equal up to float rounding (measured 1.6e-6 to 1.7e-6).
            Assert.IsTrue(imageErr < 1e-5, $"traced image vs Decode rel L2 {imageErr:E2}");
            var g = trace.InputGradient(upstream);
            CollectionAssert.AreEqual(z.shape, g.shape);
            double err = TensorAssert.RelL2(g, whole);
            Console.WriteLine($"forceNotQuantize {forceNotQuantize}: traced image rel L2 {imageErr:E2}, gradient vs whole graph {err:E2}");
            Assert.IsTrue(err < 1e-6, $"traced decoder gradient rel L2 {err:E2}");
            Assert.ThrowsExactly<InvalidOperationException>(() => trace.InputGradient(upstream), "the stage inputs are freed after one gradient");
        }
        Assert.IsTrue(vq.parameters().All(p => p.grad is null), "the frozen decoder got gradients");
    }
}
