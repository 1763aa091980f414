using HfDiff.Tests.Common;
using HfDiff.Torch.Pipelines;
using HfDiff.Torch.Samplers;
using HfDiff.Torch.Schedules;
using HfDiff.Torch.Tests.Samplers;
using static TorchSharp.torch;

namespace HfDiff.Torch.Tests.Pipelines;

/// <summary>
/// sample_func pre/post-processing against <c>rs.*</c> / <c>sin1.*</c> (networks replayed), plus padding fallbacks and tiling.
/// </summary>
[TestClass]
public class LatentSrPipelineTests
{
    static ResShiftFixture? _fx;
    static ResShiftFixture Fx => _fx ??= new ResShiftFixture();

    [ClassCleanup]
    public static void Cleanup() { _fx?.Dispose(); _fx = null; }

    static int ResShiftPadding => Fx.Config.GetProperty("resshift_sampler").GetProperty("padding_offset").GetInt32();
    static int SinSrPadding => Fx.Config.GetProperty("sinsr_sampler").GetProperty("desired_min_size").GetInt32();

    /// <summary>Checks what it is given against the reference and returns the stored result.</summary>
    sealed class ReplayAutoencoder(Tensor expectedEncodeInput, Tensor encoded, Tensor expectedDecodeInput, Tensor decoded) : ILatentAutoencoder
    {
        public int Encodes, Decodes;
        public Tensor Encode(Tensor image)
        {
            Encodes++;
            TensorAssert.RelL2Below(image, expectedEncodeInput, 1e-6, "autoencoder input (bicubic upsampled y0)");
            return encoded.clone();
        }
        public Tensor Decode(Tensor latent)
        {
            Decodes++;
            TensorAssert.RelL2Below(latent, expectedDecodeInput, 1e-5, "decoder input (final latent)");
            return decoded.clone();
        }
    }

    [TestMethod, TestCategory("Parity.ResShift")]
    public void Stages_ResShiftFixture_ReproduceY0PaddingAndUpsampling()
    {
        var lr = Fx["rs.lr_01"];
        var y0 = (lr - 0.5) / 0.5;
        TensorAssert.MaxAbsBelow(y0, Fx["rs.y0"], 0, "y0");
        var padded = LatentSrPipeline.PadToMultiple(Fx["rs.y0"], ResShiftPadding);
        TensorAssert.MaxAbsBelow(padded, Fx["rs.y0_padded"], 0, "y0_padded (reflect)");
        var up = LatentSrPipeline.Upsample(Fx["rs.y0_padded"], Fx.ScheduleOptions.Sf);
        double err = TensorAssert.RelL2(up, Fx["rs.y0_upsampled"]);
        Console.WriteLine($"bicubic x{Fx.ScheduleOptions.Sf} rel L2 {err:E2}, max abs {TensorAssert.MaxAbs(up, Fx["rs.y0_upsampled"]):E2}");
        Assert.IsTrue(err < 1e-6, $"y0_upsampled rel L2 {err:E3}");
        TensorAssert.MaxAbsBelow(LatentSrPipeline.PadToMultiple(Fx["sin1.y0"], SinSrPadding), Fx["sin1.y0_padded"], 0, "sin1 y0_padded");
        TensorAssert.MaxAbsBelow((Fx["sin1.lr_01"] - 0.5) / 0.5, Fx["sin1.y0"], 0, "sin1 y0");
    }

    [TestMethod, TestCategory("Parity.ResShift")]
    public void CropAndClamp_DecodedPadded_ReproducesOutM11()
    {
        var lr = Fx["rs.y0"];
        var got = LatentSrPipeline.CropAndClamp(Fx["rs.decoded_padded"], lr.shape[2], lr.shape[3], Fx.ScheduleOptions.Sf);
        TensorAssert.MaxAbsBelow(got, Fx["rs.out_m11"], 0, "out_m11");
    }

    [TestMethod, TestCategory("Parity.ResShift")]
    public void SuperResolve_ReplayedNetworks_ReproducesReferenceOutput()
    {
        var schedule = new ResShiftSchedule(Fx.ScheduleOptions);
        var div = Fx["schedule.scale_input_divisor_f32"];
        long steps = Fx["rs.x_t"].shape[0];
        var calls = Enumerable.Range(0, (int)steps).Select(k =>
        {
            int t = (int)steps - 1 - k;
            return (Fx["rs.x_t"][k].unsqueeze(0) / div[t], (long)schedule.TimestepMap[t], Fx["rs.pred_x0"][k].unsqueeze(0));
        }).ToList();
        var denoiser = new ReplayDenoiser(calls, Fx["rs.y0_padded"], 1e-6);
        var draws = new List<Tensor> { Fx["rs.prior_noise"] };
        draws.AddRange(Enumerable.Range(0, (int)steps).Select(k => Fx["rs.step_noise"][k].unsqueeze(0)));
        var noise = new ReplayNoise(draws);
        var ae = new ReplayAutoencoder(Fx["rs.y0_upsampled"], Fx["rs.z_y"], Fx["rs.final_latent"], Fx["rs.decoded_padded"]);
        using var pipeline = new LatentSrPipeline(new ResShiftSampler(schedule), denoiser.Forward, ae,
            new LatentSrPipelineOptions { PaddingMultiple = ResShiftPadding }, noise);

        var out01 = pipeline.SuperResolve(Fx["rs.lr_01"]);

        Assert.AreEqual(1, ae.Encodes);
        Assert.AreEqual(1, ae.Decodes);
        TensorAssert.MaxAbsBelow(out01, Fx["rs.out_m11"] * 0.5 + 0.5, 0, "output [0,1]");
    }

    [TestMethod]
    public void PadToMultiple_SideTooSmallForReflect_FallsBackOrThrows()
    {
        using var y = rand(1, 3, 20, 50) * 2 - 1;
        var e = Assert.ThrowsExactly<ArgumentException>(() => LatentSrPipeline.PadToMultiple(y, 64, SmallSidePadding.Throw));
        StringAssert.Contains(e.Message, "20x50");
        using var it = LatentSrPipeline.PadToMultiple(y, 64);
        CollectionAssert.AreEqual(new long[] { 1, 3, 64, 64 }, it.shape);
        TensorAssert.MaxAbsBelow(it[.., .., ..20, ..50], y, 0, "original kept top-left");
        // the first reflect pass mirrors rows 18..0 into rows 20..38 (pad < side there)
        TensorAssert.MaxAbsBelow(it[.., .., 20..39, ..50], y[.., .., ..19, ..50].flip(2), 0, "first reflect pass");
        using var rep = LatentSrPipeline.PadToMultiple(y, 64, SmallSidePadding.Replicate);
        TensorAssert.MaxAbsBelow(rep[.., .., 63, ..50], y[.., .., 19, ..50], 0, "replicated last row");
        using var one = rand(1, 3, 1, 5);
        using var p1 = LatentSrPipeline.PadToMultiple(one, 8);
        CollectionAssert.AreEqual(new long[] { 1, 3, 8, 8 }, p1.shape);
        TensorAssert.MaxAbsBelow(p1[.., .., 7, ..5], one[.., .., 0, ..], 0, "1-px side replicated");
        // where one reflect pass suffices, every mode is the reference's reflect
        using var ok = rand(1, 3, 40, 56);
        using var a = LatentSrPipeline.PadToMultiple(ok, 64, SmallSidePadding.Replicate);
        using var b = nn.functional.pad(ok, new long[] { 0, 8, 0, 24 }, TorchSharp.PaddingModes.Reflect);
        TensorAssert.MaxAbsBelow(a, b, 0, "reflect when possible");
    }

    [TestMethod]
    public void TileStarts_AsImageSpliter_MovesOverrunsBackAndDeduplicates()
    {
        CollectionAssert.AreEqual(new[] { 0 }, LatentSrPipeline.TileStarts(512, 512, 448).ToArray());
        // range(0, 1000, 448) = 0, 448, 896; only 896 overruns (896+512 > 1000) and moves to 488
        CollectionAssert.AreEqual(new[] { 0, 448, 488 }, LatentSrPipeline.TileStarts(1000, 512, 448).ToArray());
        CollectionAssert.AreEqual(new[] { 0, 40 }, LatentSrPipeline.TileStarts(100, 60, 50).ToArray());
        CollectionAssert.AreEqual(new[] { 0, 448, 896, 1088 }, LatentSrPipeline.TileStarts(1600, 512, 448).ToArray());
    }

    [TestMethod]
    public void GaussianKernel1d_OddAndEven_MatchesOpenCvDefinition()
    {
        // ksize 5: sigma = 0.3*(2-1)+0.8 = 1.1, taps exp(-x^2/(2 sigma^2)) for x = -2..2, normalised.
        var k5 = LatentSrPipeline.GaussianKernel1d(5);
        var raw = new[] { -2, -1, 0, 1, 2 }.Select(x => Math.Exp(-x * x / (2 * 1.1 * 1.1))).ToArray();
        for (int i = 0; i < 5; i++) Assert.AreEqual(raw[i] / raw.Sum(), k5[i], 1e-15);
        // ksize 4: 5-tap kernel with sigma of k=4 (0.3*0.5+0.8 = 0.95), first tap dropped.
        var k4 = LatentSrPipeline.GaussianKernel1d(4);
        Assert.AreEqual(4, k4.Length);
        var raw4 = new[] { -2, -1, 0, 1, 2 }.Select(x => Math.Exp(-x * x / (2 * 0.95 * 0.95))).ToArray();
        for (int i = 0; i < 4; i++) Assert.AreEqual(raw4[i + 1] / raw4.Sum(), k4[i], 1e-15);
    }

    /// <summary>Encode = 4x4 average pool, Decode = nearest x4: local, so tiles agree with the whole image away from borders.</summary>
    sealed class PoolAutoencoder : ILatentAutoencoder
    {
        public long MaxPixels;
        public Tensor Encode(Tensor image)
        {
            MaxPixels = Math.Max(MaxPixels, image.shape[2] * image.shape[3]);
            return nn.functional.avg_pool2d(image, 4);
        }
        public Tensor Decode(Tensor latent) => nn.functional.interpolate(latent, scale_factor: new double[] { 4, 4 }, mode: InterpolationMode.Nearest);
    }

    sealed class ZeroNoise : INoiseSource
    {
        public Tensor RandnLike(Tensor like) => zeros_like(like);
    }

    [TestMethod]
    public void SuperResolve_Tiled_MatchesUntiledWithinBlendingToleranceAndBoundsTileSize()
    {
        // A smooth LR image, an identity-like chain (zero noise, denoiser returns the unscaled state) and a local autoencoder:
        // every tile output equals the untiled output except within a few pixels of a tile border (bicubic support, padding).
        using var gy = linspace(0, 1, 72).reshape(1, 1, 72, 1);
        using var gx = linspace(0, 1, 100).reshape(1, 1, 1, 100);
        using var lr = (0.5 + 0.4 * sin(gy * 5 + gx * 3) * cos(gx * 4)).expand(1, 3, 72, 100).contiguous();
        var schedule = new ResShiftSchedule();
        long maxLatentPixels = 0;
        Tensor Den(Tensor x, Tensor t, Tensor l)
        {
            maxLatentPixels = Math.Max(maxLatentPixels, x.shape[2] * x.shape[3]);
            var div = ResShiftSchedule.Extract(schedule.ScaleInputDivisorF32.Select(v => (double)v).ToArray(), t, 4);
            return x * div;   // x̂_0 = x_t keeps the chain at z_y
        }
        var ae = new PoolAutoencoder();
        using var whole = new LatentSrPipeline(new ResShiftSampler(schedule), Den, ae,
            new LatentSrPipelineOptions { PaddingMultiple = 8, TileSize = 512 }, new ZeroNoise());
        using var reference = whole.SuperResolve(lr);
        Assert.AreEqual(72L * 4 * (104 * 4), ae.MaxPixels, "untiled: one encode of the padded 72x104 image, x4");

        foreach (var blend in new[] { TileBlending.Gaussian, TileBlending.Uniform })
        {
            var aeT = new PoolAutoencoder();
            maxLatentPixels = 0;
            var options = new LatentSrPipelineOptions { PaddingMultiple = 8, TileSize = 32, TileStride = 24, TileBlending = blend };
            using var tiled = new LatentSrPipeline(new ResShiftSampler(schedule), Den, aeT, options, new ZeroNoise());
            using var got = tiled.SuperResolve(lr);
            CollectionAssert.AreEqual(reference.shape, got.shape);
            double rel = TensorAssert.RelL2(got, reference), maxAbs = TensorAssert.MaxAbs(got, reference);
            Console.WriteLine($"{blend}: tiled vs untiled rel L2 {rel:E2}, max abs {maxAbs:E2}");
            Assert.IsTrue(rel < 1e-3, $"{blend}: rel L2 {rel:E3}");
            Assert.IsTrue(maxAbs < 5e-3, $"{blend}: max abs {maxAbs:E3}");
            // memory bound: no encode larger than one padded tile (32 LR px -> 128 px), no latent larger than 32x32
            Assert.IsTrue(aeT.MaxPixels <= 128L * 128, $"{blend}: largest encode {aeT.MaxPixels} px");
            Assert.IsTrue(maxLatentPixels <= 32L * 32, $"{blend}: largest latent {maxLatentPixels} px");
        }
    }

    [TestMethod]
    public void SuperResolve_DenoiserReturnsNaN_ThrowsInsteadOfWritingAnImage()
    {
        using var lr = full(new long[] { 1, 3, 16, 16 }, 0.5f);
        var schedule = new ResShiftSchedule();
        Tensor Den(Tensor x, Tensor t, Tensor l) => x.clone().index_fill_(3, tensor(new long[] { 1 }), float.NaN);
        using var p = new LatentSrPipeline(new ResShiftSampler(schedule), Den, new PoolAutoencoder(),
            new LatentSrPipelineOptions { PaddingMultiple = 8 }, new ZeroNoise());
        var e = Assert.ThrowsExactly<NonFiniteOutputException>(() => p.SuperResolve(lr));
        StringAssert.Contains(e.Message, "non-finite");
        StringAssert.Contains(e.Message, "16x16");
    }

    [TestMethod]
    public void Constructor_BadTiling_ThrowsNamingValue()
    {
        var s = new ResShiftSampler(new ResShiftSchedule());
        var e = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() =>
            new LatentSrPipeline(s, (x, t, l) => x.clone(), new PoolAutoencoder(), new LatentSrPipelineOptions { TileSize = 64, TileStride = 65 }));
        StringAssert.Contains(e.Message, "tileStride");
        StringAssert.Contains(e.Message, "65");
        using var p = new LatentSrPipeline(s, (x, t, l) => x.clone(), new PoolAutoencoder());
        using var gray = rand(1, 1, 8, 8);
        var e2 = Assert.ThrowsExactly<ArgumentException>(() => p.SuperResolve(gray));
        Assert.AreEqual("lr01", e2.ParamName);
    }
}
