using HfDiff.Tests.Common;
using HfDiff.Torch.Archs.ResShift;
using HfDiff.Torch.Pipelines;
using static TorchSharp.torch;

namespace HfDiff.Torch.Tests.Pipelines;

/// <summary>Reduced-precision inference (<see cref="InferencePrecision"/>) on the ResShift fixture's reduced networks.</summary>
[TestClass]
public class SuperResolverPrecisionTests
{
    static SrModelFixture? _fx;
    static SrModelFixture Fx => _fx ??= new SrModelFixture();

    [ClassCleanup]
    public static void Cleanup() { _fx?.Dispose(); _fx = null; }

    static double Psnr(Tensor a, Tensor b)
    {
        using var mse = (a - b).square().mean();
        return 10 * Math.Log10(1.0 / mse.item<float>());
    }

    /// <summary>Fresh copies of the fixture networks (the precision option converts the modules it is given).</summary>
    static (UNetModelSwin, VQModelTorch) Networks(bool sinsr)
    {
        var unet = new UNetModelSwin(sinsr ? Fx.UnetBOptions : Fx.UnetAOptions);
        HfDiff.Torch.Weights.Checkpoint.LoadInto(unet, sinsr ? Fx.UnetBPath : Fx.UnetAPath, strict: true);
        var vq = new VQModelTorch(Fx.VqOptions);
        HfDiff.Torch.Weights.Checkpoint.LoadInto(vq, Fx.VqPath, strict: true);
        return (unet, vq);
    }

    [TestMethod, TestCategory("Parity.ResShift")]
    public void SuperResolve_Bf16_CloseToFp32AndCodebookSearchStaysFloat32()
    {
        var lr = Fx["sin1.lr_01"];
        var (u32, v32) = Networks(sinsr: true);
        var (u16, v16) = Networks(sinsr: true);
        using (u32) using (v32) using (u16) using (v16)
        {
            using var r32 = new SuperResolver(u32, v32, Fx.ScheduleOptions, new SuperResolverOptions { Seed = 3 });
            using var r16 = new SuperResolver(u16, v16, Fx.ScheduleOptions, new SuperResolverOptions { Seed = 3, Precision = InferencePrecision.Bf16 });
            Assert.AreEqual(InferencePrecision.Bf16, r16.Precision);
            Assert.AreEqual(ScalarType.BFloat16, u16.ParameterType);
            Assert.AreEqual(ScalarType.Float32, v16.Quantizer.Codebook.dtype, "codebook stays float32");
            using var a = r32.SuperResolve(lr);
            using var b = r16.SuperResolve(lr);
            Assert.AreEqual(ScalarType.Float32, b.dtype);
            CollectionAssert.AreEqual(a.shape, b.shape);
            double psnr = Psnr(a, b);
            Console.WriteLine($"SinSR one-step, reduced fixture nets: bf16 vs fp32 PSNR {psnr:F2} dB");
            // A smoke bound, not a quality claim: on these random (untrained, perturbed) nets bf16 moves the encoder latent by
            // 2.2% and the decoder output by 6% (measured), flipping 13% of the codes of the random codebook: 24.4 dB here.
            Assert.IsTrue(psnr > 20, $"bf16 vs fp32 PSNR {psnr:F2} dB");
            Assert.IsTrue(isfinite(b).all().item<bool>());
        }
    }

    [TestMethod]
    public void Precision_Fp16OnCpu_IsRefusedAndAutoResolvesFromCpuFlags()
    {
        var (u, v) = Networks(sinsr: true);
        using (u) using (v)
        {
            var e = Assert.ThrowsExactly<ArgumentException>(() => new SuperResolver(u, v, Fx.ScheduleOptions, new SuperResolverOptions { Precision = InferencePrecision.Fp16 }));
            StringAssert.Contains(e.Message, "CUDA only");
        }
        var (p, why) = InferencePrecisions.Resolve(InferencePrecision.Auto, TorchSharp.torch.CPU);
        var flags = InferencePrecisions.CpuFlags();
        Assert.AreEqual(flags.Contains("avx512_bf16") || flags.Contains("amx_bf16") ? InferencePrecision.Bf16 : InferencePrecision.Fp32, p, why);
        Assert.AreEqual(InferencePrecision.Bf16, InferencePrecisions.Parse("BF16"));
        StringAssert.Contains(Assert.ThrowsExactly<ArgumentException>(() => InferencePrecisions.Parse("int8")).Message, "fp32, bf16, fp16 or auto");
    }
}
