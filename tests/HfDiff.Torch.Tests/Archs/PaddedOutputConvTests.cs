using HfDiff.Torch.Archs;
using TorchSharp;
using static TorchSharp.torch;

namespace HfDiff.Torch.Tests.Archs;

[TestClass]
public class PaddedOutputConvTests
{
    /// <summary>Frees tensors full of <paramref name="value"/> of many sizes, so that the allocator hands that memory to the next buffers.</summary>
    static void FillFreedMemory(float value)
    {
        var junk = new List<Tensor>();
        for (long n = 1; n <= 1 << 22; n *= 2)
            for (int k = 0; k < 4; k++) junk.Add(full(n + k * 7, value));
        foreach (var j in junk) j.Dispose();
    }

    static void PoisonFreedMemory() => FillFreedMemory(float.NaN);

    /// <summary>Leaves zeros, not NaN, in freed memory: the tests that follow should not depend on what these leave behind.</summary>
    [TestCleanup]
    public void ScrubFreedMemory() => FillFreedMemory(0f);

    static double RelL2(Tensor a, Tensor b)
    {
        using var d = a.to_type(ScalarType.Float64) - b.to_type(ScalarType.Float64);
        return Math.Sqrt(d.square().sum().item<double>() / b.to_type(ScalarType.Float64).square().sum().item<double>());
    }

    [TestMethod]
    public void InputGradient_PartialChannelBlock_FiniteAndEqualToFloat64AfterNaNInFreedMemory()
    {
        // Unpadded, oneDNN's backward-data pass read these NaNs from its padded block (measured: NaN gradients in 1-4 of 4
        // repetitions for 3, 8, 12 and 17 output channels on an AVX-512 EPYC).
        foreach (var (inCh, outCh) in new[] { (32L, 3L), (32L, 8L), (12L, 12L), (32L, 17L) })
        {
            for (int rep = 0; rep < 4; rep++)
            {
                using var scope = NewDisposeScope();
                manual_seed(rep);
                var conv = nn.Conv2d(inCh, outCh, 3, padding: 1);
                var x = randn(2, inCh, 32, 32).requires_grad_(true);
                var upstream = randn(2, outCh, 32, 32);
                PoisonFreedMemory();
                var y = PaddedOutputConv.Call(conv, x);
                Assert.IsTrue(PaddedOutputConv.NeedsPadding(conv, x), "an input gradient with a partial block must take the padded path");
                (y * upstream).sum().backward();

                var x64 = x.detach().to_type(ScalarType.Float64).requires_grad_(true);
                var w64 = conv.weight!.detach().to_type(ScalarType.Float64).requires_grad_(true);
                var b64 = conv.bias!.detach().to_type(ScalarType.Float64).requires_grad_(true);
                var y64 = nn.functional.conv2d(x64, w64, b64, padding: [1, 1]);
                (y64 * upstream.to_type(ScalarType.Float64)).sum().backward();

                string what = $"{inCh}->{outCh}, repetition {rep}";
                Assert.IsTrue(isfinite(x.grad!).all().item<bool>(), $"{what}: input gradient not finite");
                Assert.IsTrue(RelL2(y, y64) < 1e-5, $"{what}: output rel L2 {RelL2(y, y64):E2}");
                Assert.IsTrue(RelL2(x.grad!, x64.grad!) < 1e-5, $"{what}: input gradient rel L2 {RelL2(x.grad!, x64.grad!):E2}");
                Assert.IsTrue(RelL2(conv.weight!.grad!, w64.grad!) < 1e-5, $"{what}: weight gradient rel L2 {RelL2(conv.weight!.grad!, w64.grad!):E2}");
                Assert.IsTrue(RelL2(conv.bias!.grad!, b64.grad!) < 1e-5, $"{what}: bias gradient rel L2 {RelL2(conv.bias!.grad!, b64.grad!):E2}");
                CollectionAssert.AreEqual(new long[] { outCh, inCh, 3, 3 }, conv.weight!.grad!.shape, "the gradient reaches the unpadded weight");
            }
        }
    }

    [TestMethod]
    public void Bfloat16Forward_PartialChannelBlock_OnlyBf16Rounding()
    {
        // Unpadded, native AVX512_BF16 convolutions with 1, 3, 8, 17 or 24 output channels were 0.08-0.33 off in relative L2.
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        foreach (long outCh in new long[] { 1, 3, 8, 17, 24, 32 })
        {
            manual_seed(outCh);
            var conv = nn.Conv2d(64, outCh, 3, padding: 1);
            var x = randn(1, 64, 48, 48);
            var y32 = conv.call(x);
            conv.to(ScalarType.BFloat16);
            var y16 = PaddedOutputConv.Call(conv, x.to_type(ScalarType.BFloat16));
            Assert.AreEqual(ScalarType.BFloat16, y16.dtype);
            CollectionAssert.AreEqual(y32.shape, y16.shape);
            double err = RelL2(y16, y32);
            Assert.IsTrue(err < 1e-2, $"{outCh} output channels: bf16 vs fp32 rel L2 {err:E2}");
        }
    }

    [TestMethod]
    public void PlainCall_WhereNoPartialBlockOrNoInputGradient()
    {
        using var scope = NewDisposeScope();
        var full = nn.Conv2d(8, 16, 3, padding: 1);
        var partial = nn.Conv2d(8, 3, 3, padding: 1);
        var x = randn(1, 8, 8, 8);
        Assert.IsFalse(PaddedOutputConv.NeedsPadding(full, x.requires_grad_(true)), "full block");
        Assert.IsFalse(PaddedOutputConv.NeedsPadding(partial, x.detach()), "float32 without an input gradient");
        using (no_grad()) Assert.IsFalse(PaddedOutputConv.NeedsPadding(partial, x.detach().requires_grad_(true)), "under no_grad");
        Assert.IsTrue(PaddedOutputConv.NeedsPadding(partial, x.detach().requires_grad_(true)));
        var grouped = nn.Conv2d(8, 4, 3, padding: 1, groups: 2);
        Assert.IsFalse(PaddedOutputConv.NeedsPadding(grouped, x.detach().requires_grad_(true)), "grouped convolutions are left alone");
        using var plain = partial.call(x.detach());
        using var viaHelper = PaddedOutputConv.Call(partial, x.detach());
        Assert.AreEqual(0.0, (plain - viaHelper).abs().max().item<float>(), "the plain path is the module's own call");
    }
}
