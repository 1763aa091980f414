using System.Text.Json;
using HfDiff.Tests.Common;
using HfDiff.Torch.Archs.ResShift;
using HfDiff.Torch.Assets;
using HfDiff.Torch.Pipelines;
using HfDiff.Torch.Samplers;
using HfDiff.Torch.Tests.Samplers;
using static TorchSharp.torch;

namespace HfDiff.Torch.Tests.Pipelines;

/// <summary>
/// <see cref="SuperResolver"/> end to end. Parity with the REAL reduced fixture networks and the stored noise
/// (README tolerances): encodes and single network calls rel L2 &lt; 1e-4; decoded images through
/// <see cref="DecodedChainCheck"/> (VQ code flips after amplified rounding are bounded by our own float64 run). Per-step and free-running latent checks are in <see cref="UNetLatentDenoiserTests"/>. Behaviour tests use tiny
/// random networks.
/// </summary>
[TestClass]
public class SuperResolverTests
{
    const double SingleTolerance = 1e-4;
    const double ChainTolerance = 5e-3;

    static SrModelFixture? _fx;
    static SrModelFixture Fx => _fx ??= new SrModelFixture();

    [ClassCleanup]
    public static void Cleanup() { _fx?.Dispose(); _fx = null; }

    static ReplayNoise ResShiftNoise()
    {
        var draws = new List<Tensor> { Fx["rs.prior_noise"] };
        draws.AddRange(Enumerable.Range(0, (int)Fx["rs.step_noise"].shape[0]).Select(k => Fx.Row("rs.step_noise", k)));
        return new ReplayNoise(draws);
    }

    // The one-step path draws a 2nd noise that it discards (README quirk 8); it is not stored.
    static ReplayNoise SinSrNoise() => new([Fx["sin1.noise"]], allowExtraRandom: true);

    // ------------------------------------------------------------------------------------------- parity

    [TestMethod, TestCategory("Parity.ResShift")]
    public void SuperResolve_ResShiftChainWithStoredNoise_MatchesReferenceImage()
    {
        using var r = new SuperResolver(Fx.UnetA, Fx.Vq, Fx.ScheduleOptions);
        Assert.AreEqual(Fx.ScheduleOptions.Steps, r.Steps, "a ResShift model defaults to the T-step chain");
        Assert.AreEqual(Fx.ResShiftPadding, r.PipelineOptions.PaddingMultiple, "ResShift pads to lq_size = padding_offset");
        var lr = Fx["rs.lr_01"];

        // Encoder stage with the resolver's own components (the chain from it is checked in UNetLatentDenoiserTests).
        using var pipeline = new LatentSrPipeline(r.SamplerFor(r.Steps), r.Denoiser, r.LatentAutoencoder, r.PipelineOptions, ResShiftNoise());
        using var padded = LatentSrPipeline.PadToMultiple((lr - 0.5) / 0.5, r.PipelineOptions.PaddingMultiple);
        TensorAssert.MaxAbsBelow(padded, Fx["rs.y0_padded"], 0, "rs.y0_padded");
        using var zY = pipeline.EncodeFirstStage(padded);
        double zErr = TensorAssert.RelL2(zY, Fx["rs.z_y"]);
        Assert.IsTrue(zErr < SingleTolerance, $"rs.z_y rel L2 {zErr:E3}");

        // The public call, and the latent our own chain ends in (the same draws).
        var noise = ResShiftNoise();
        using var out01 = r.SuperResolve(lr, noise);
        Assert.AreEqual(Fx["rs.step_noise"].shape[0] + 1, noise.Count, "noise draws: 1 prior + T steps");
        Assert.IsTrue(out01.min().item<float>() >= 0 && out01.max().item<float>() <= 1, "output in [0, 1]");
        Assert.AreEqual(r.Steps, r.LastTimings.DenoiserCalls, "one UNet call per step");
        using var final = r.SamplerFor(r.Steps).Sample(zY, padded, r.Denoiser, ResShiftNoise());
        var check = DecodedChainCheck.Measure(Fx, final, Fx["rs.final_latent"], lr, out01, Fx["rs.out_m11"],
            () => Float64ResShiftFinalLatent(zY, padded));
        Console.WriteLine($"ResShift end to end: z_y {zErr:E2}; {check}; timings {r.LastTimings}");
        check.AssertWithinBounds(ChainTolerance, SingleTolerance);
    }

    /// <summary>The same 15-step chain run by our code in float64 (UNet weights and inputs cast; stored draws).</summary>
    static Tensor Float64ResShiftFinalLatent(Tensor zY, Tensor padded)
    {
        using var unet64 = new UNetModelSwin(Fx.UnetAOptions);
        HfDiff.Torch.Weights.Checkpoint.LoadInto(unet64, Fx.UnetAPath, strict: true);
        TorchSharp.ModuleExtensionMethods.to(unet64, ScalarType.Float64);
        var draws = new List<Tensor> { Fx["rs.prior_noise"].to_type(ScalarType.Float64) };
        draws.AddRange(Enumerable.Range(0, (int)Fx["rs.step_noise"].shape[0]).Select(k => Fx.Row("rs.step_noise", k).to_type(ScalarType.Float64)));
        var sampler = new ResShiftSampler(new HfDiff.Torch.Schedules.ResShiftSchedule(Fx.ScheduleOptions));
        using var z64 = zY.to_type(ScalarType.Float64);
        using var p64 = padded.to_type(ScalarType.Float64);
        return sampler.Sample(z64, p64, new UNetLatentDenoiser(unet64).AsDelegate(), new ReplayNoise(draws));
    }

    [TestMethod, TestCategory("Parity.ResShift")]
    public void SuperResolve_SinSrOneStepWithStoredNoise_MatchesReferenceLatentAndImage()
    {
        using var r = new SuperResolver(Fx.UnetB, Fx.Vq, Fx.ScheduleOptions);
        Assert.AreEqual(1, r.Steps, "a SinSR model defaults to one step");
        Assert.AreEqual(Fx.SinSrPadding, r.PipelineOptions.PaddingMultiple, "SinSR pads to desired_min_size");
        var lr = Fx["sin1.lr_01"];

        var sampler = (SinSrOneStepSampler)r.SamplerFor(1);
        using var pipeline = new LatentSrPipeline(sampler, r.Denoiser, r.LatentAutoencoder, r.PipelineOptions, SinSrNoise());
        using var padded = LatentSrPipeline.PadToMultiple((lr - 0.5) / 0.5, r.PipelineOptions.PaddingMultiple);
        TensorAssert.MaxAbsBelow(padded, Fx["sin1.y0_padded"], 0, "sin1.y0_padded");
        using var zY = pipeline.EncodeFirstStage(padded);
        double zErr = TensorAssert.RelL2(zY, Fx["sin1.z_y"]);
        var one = sampler.Run(zY, padded, r.Denoiser, SinSrNoise());
        double inErr = TensorAssert.RelL2(one.ModelInput, Fx["sin1.model_in"]);
        double predErr = TensorAssert.RelL2(one.PredXStart, Fx["sin1.pred_z0"]);

        using var out01 = r.SuperResolve(lr, SinSrNoise());
        var check = DecodedChainCheck.Measure(Fx, one.PredXStart, Fx["sin1.pred_z0"], lr, out01, Fx["sin1.out_m11"], () =>
        {
            using var unet64 = new UNetModelSwin(Fx.UnetBOptions);
            HfDiff.Torch.Weights.Checkpoint.LoadInto(unet64, Fx.UnetBPath, strict: true);
            TorchSharp.ModuleExtensionMethods.to(unet64, ScalarType.Float64);
            using var z64 = zY.to_type(ScalarType.Float64);
            using var p64 = padded.to_type(ScalarType.Float64);
            return sampler.Run(z64, p64, new UNetLatentDenoiser(unet64).AsDelegate(), new ReplayNoise([Fx["sin1.noise"].to_type(ScalarType.Float64)], allowExtraRandom: true)).PredXStart;
        });
        Console.WriteLine($"SinSR one-step end to end: z_y {zErr:E2}, model_in {inErr:E2}, pred_z0 {predErr:E2}; {check}; timings {r.LastTimings}");

        Assert.IsTrue(zErr < SingleTolerance, $"sin1.z_y rel L2 {zErr:E3}");
        Assert.IsTrue(inErr < SingleTolerance, $"sin1.model_in rel L2 {inErr:E3}");
        Assert.IsTrue(predErr < SingleTolerance, $"sin1.pred_z0 rel L2 {predErr:E3}");
        check.AssertWithinBounds(SingleTolerance, SingleTolerance);
        Assert.AreEqual(1, r.LastTimings.DenoiserCalls);
    }

    [TestMethod, TestCategory("Parity.ResShift")]
    public void SuperResolve_ChannelsLastAutoencoder_MatchesReferenceOneStepWithinSingleForwardTolerance()
    {
        // Its own VQ instance: the option re-lays the module's weights, which would change every other resolver on it.
        using var vq = new VQModelTorch(Fx.VqOptions);
        HfDiff.Torch.Weights.Checkpoint.LoadInto(vq, Fx.VqPath, strict: true);
        using var r = new SuperResolver(Fx.UnetB, vq, Fx.ScheduleOptions, new SuperResolverOptions { ChannelsLastAutoencoder = true });
        Assert.IsTrue(vq.named_parameters().Where(p => p.parameter.dim() == 4).All(p => ChannelsLast.IsChannelsLast(p.parameter)), "conv weights re-laid");
        using var out01 = r.SuperResolve(Fx["sin1.lr_01"], SinSrNoise());
        CollectionAssert.AreEqual(Fx["sin1.out_m11"].shape, out01.shape);
        Assert.IsTrue(out01.is_contiguous(), "output is plain contiguous NCHW");
        // Stage by stage (a whole-image comparison would depend on whether a rounding difference flips a VQ code):
        // encoder latent, one-step prediction, decoder on the reference's own latent (same codes), then the plumbing.
        using var padded = LatentSrPipeline.PadToMultiple((Fx["sin1.lr_01"] - 0.5) / 0.5, r.PipelineOptions.PaddingMultiple);
        using var pipeline = new LatentSrPipeline(r.SamplerFor(1), r.Denoiser, r.LatentAutoencoder, r.PipelineOptions, SinSrNoise());
        using var zY = pipeline.EncodeFirstStage(padded);
        var one = ((SinSrOneStepSampler)r.SamplerFor(1)).Run(zY, padded, r.Denoiser, SinSrNoise());
        using var refDecoded = LatentSrPipeline.CropAndClamp(r.LatentAutoencoder.Decode(Fx["sin1.pred_z0"]), Fx["sin1.lr_01"].shape[2], Fx["sin1.lr_01"].shape[3], Fx.ScheduleOptions.Sf);
        using var ourDecoded = LatentSrPipeline.CropAndClamp(r.LatentAutoencoder.Decode(one.PredXStart), Fx["sin1.lr_01"].shape[2], Fx["sin1.lr_01"].shape[3], Fx.ScheduleOptions.Sf);
        double zErr = TensorAssert.RelL2(zY, Fx["sin1.z_y"]), predErr = TensorAssert.RelL2(one.PredXStart, Fx["sin1.pred_z0"]);
        double decErr = TensorAssert.RelL2(refDecoded, Fx["sin1.out_m11"]);
        using var outM11 = out01 * 2 - 1;
        double plumbing = TensorAssert.MaxAbs(outM11, ourDecoded);
        Console.WriteLine($"channels-last VQ, SinSR one-step: z_y {zErr:E2}, pred_z0 {predErr:E2}, decode(reference latent) {decErr:E2}, " +
                          $"plumbing {plumbing:E1}, image rel L2 {TensorAssert.RelL2(outM11, Fx["sin1.out_m11"]):E2} (reported)");
        Assert.IsTrue(zErr < SingleTolerance, $"sin1.z_y rel L2 {zErr:E3} (channels-last)");
        Assert.IsTrue(predErr < SingleTolerance, $"sin1.pred_z0 rel L2 {predErr:E3} (channels-last)");
        Assert.IsTrue(decErr < SingleTolerance, $"decode of sin1.pred_z0: rel L2 {decErr:E3} (channels-last)");
        Assert.IsTrue(plumbing < 1e-5, $"public output vs crop/clamp(decode(prediction)): {plumbing:E2}");
    }

    [TestMethod, TestCategory("Parity.ResShift")]
    public void Constructor_ModelDirectoryWithOfficialNames_LoadsCheckpointsAndMatchesModuleResolver()
    {
        var dir = Directory.CreateTempSubdirectory("hfdiff-models-");
        try
        {
            // The fixture files under the official names (symbolic links, nothing copied).
            File.CreateSymbolicLink(Path.Combine(dir.FullName, KnownAssets.SinSrV1.FileName), Fx.UnetBPath);
            File.CreateSymbolicLink(Path.Combine(dir.FullName, KnownAssets.VqF4.FileName), Fx.VqPath);
            var options = new SuperResolverOptions { Config = "sinsr", ModelDirectory = dir.FullName, Unet = Fx.UnetBOptions, Autoencoder = Fx.VqOptions };
            using var fromFiles = new SuperResolver(options);
            Assert.AreEqual(Path.Combine(dir.FullName, KnownAssets.SinSrV1.FileName), fromFiles.UnetCheckpointPath);
            Assert.AreEqual(Path.Combine(dir.FullName, KnownAssets.VqF4.FileName), fromFiles.AutoencoderCheckpointPath);
            Assert.AreEqual(1, fromFiles.Steps);
            AssertSameWeights(fromFiles.Unet, Fx.UnetB, "UNet");
            AssertSameWeights(fromFiles.Autoencoder, Fx.Vq, "VQ");
        }
        finally { dir.Delete(recursive: true); }
    }

    [TestMethod, TestCategory("Parity.ResShift")]
    public void Constructor_YamlAutoencoderCkptPath_IsUsedWhenTheFileExists_ElseTheModelDirectoryIsAsked()
    {
        var cfg = Fx.Config;
        var dir = Directory.CreateTempSubdirectory("hfdiff-sr-yaml-ae-");
        try
        {
            File.Copy(Fx.VqPath, Path.Combine(dir.FullName, "my_vq.pth"));
            string Yaml(string aePath) =>
                "model:\n  target: models.unet.UNetModelSwin\n  ckpt_path: ~\n  params: " + cfg.GetProperty("resshift_unet_A").GetProperty("resshift_kwargs").GetRawText() + "\n" +
                "diffusion:\n  target: " + cfg.GetProperty("diffusion").GetProperty("target").GetString() + "\n  params: " + cfg.GetProperty("diffusion").GetProperty("kwargs").GetRawText() + "\n" +
                "autoencoder:\n  target: ldm.models.autoencoder.VQModelTorch\n  ckpt_path: " + aePath + "\n  params: " + cfg.GetProperty("autoencoder").GetProperty("kwargs").GetRawText() + "\n";
            var found = Path.Combine(dir.FullName, "found.yaml");
            File.WriteAllText(found, Yaml("my_vq.pth"));                       // relative to the YAML's folder
            var empty = Directory.CreateDirectory(Path.Combine(dir.FullName, "models")).FullName;
            var options = new SuperResolverOptions { Config = found, UnetCheckpoint = Fx.UnetAPath, ModelDirectory = empty };
            Assert.AreEqual(0, SuperResolver.RequiredModelDirectoryAssets(options).Count, "nothing needed from the model directory");
            using (var r = new SuperResolver(options))
            {
                Assert.AreEqual(Path.Combine(dir.FullName, "my_vq.pth"), r.AutoencoderCheckpointPath);
                AssertSameWeights(r.Autoencoder, Fx.Vq, "VQ from the YAML's ckpt_path");
            }
            var missing = Path.Combine(dir.FullName, "missing.yaml");
            File.WriteAllText(missing, Yaml("weights/autoencoder_vq_f4.pth"));   // as in the official YAMLs: not there
            var e = Assert.ThrowsExactly<ModelAssetMissingException>(() => new SuperResolver(options with { Config = missing }));
            StringAssert.Contains(e.Message, KnownAssets.VqF4.FileName);
        }
        finally { dir.Delete(recursive: true); }
    }

    [TestMethod, TestCategory("Parity.ResShift")]
    public void Constructor_OfficialStyleYamlConfig_BuildsTheConfiguredNetworks()
    {
        // An official-layout YAML (model / diffusion / autoencoder) with the fixture's kwargs; JSON objects are YAML flow maps.
        var cfg = Fx.Config;
        string yaml =
            "model:\n  target: models.unet.UNetModelSwin\n  ckpt_path: ~\n  params: " + cfg.GetProperty("resshift_unet_A").GetProperty("resshift_kwargs").GetRawText() + "\n" +
            "diffusion:\n  target: " + cfg.GetProperty("diffusion").GetProperty("target").GetString() + "\n  params: " + cfg.GetProperty("diffusion").GetProperty("kwargs").GetRawText() + "\n" +
            "autoencoder:\n  target: ldm.models.autoencoder.VQModelTorch\n  ckpt_path: ~\n  use_fp16: True\n  params: " + cfg.GetProperty("autoencoder").GetProperty("kwargs").GetRawText() + "\n";
        var path = Path.Combine(Path.GetTempPath(), $"hfdiff-sr-{Guid.NewGuid():N}.yaml");
        File.WriteAllText(path, yaml);
        try
        {
            using var r = new SuperResolver(new SuperResolverOptions { Config = path, UnetCheckpoint = Fx.UnetAPath, AutoencoderCheckpoint = Fx.VqPath });
            Assert.AreEqual(JsonSerializer.Serialize(Fx.UnetAOptions), JsonSerializer.Serialize(r.Unet.Options));
            Assert.AreEqual(JsonSerializer.Serialize(Fx.VqOptions), JsonSerializer.Serialize(r.Autoencoder.Options));
            Assert.AreEqual(Fx.ScheduleOptions, r.Schedule.Options);
            Assert.AreEqual(Fx.ScheduleOptions.Steps, r.Steps);
            Assert.AreEqual(Fx.ResShiftPadding, r.PipelineOptions.PaddingMultiple);
            AssertSameWeights(r.Unet, Fx.UnetA, "UNet");
            AssertSameWeights(r.Autoencoder, Fx.Vq, "VQ");
            using var reference = new SuperResolver(Fx.UnetA, Fx.Vq, Fx.ScheduleOptions);
            using var crop = Fx["rs.lr_01"][.., .., ..8, ..8];
            using var a = r.SuperResolve(crop, seed: 5, steps: 1);
            using var b = reference.SuperResolve(crop, seed: 5, steps: 1);
            TensorAssert.MaxAbsBelow(a, b, 0, "YAML-built vs module resolver");
        }
        finally { File.Delete(path); }
    }

    static void AssertSameWeights(nn.Module actual, nn.Module expected, string what)
    {
        var a = actual.state_dict();
        var e = expected.state_dict();
        CollectionAssert.AreEquivalent(e.Keys.ToList(), a.Keys.ToList(), $"{what}: keys");
        foreach (var (k, v) in e)
            Assert.IsTrue(v.dtype == a[k].dtype && a[k].equal(v).all().item<bool>(), $"{what}: {k} differs from the checkpoint");
    }

    // ------------------------------------------------------------------------------------------- behaviour (tiny random networks)

    static UNetModelSwin TinyUnet(UNetCodeBase codeBase) => new(new UNetModelSwinOptions
    {
        CodeBase = codeBase,
        ImageSize = 16,
        InChannels = codeBase == UNetCodeBase.SinSR ? 6 : 3,
        ModelChannels = 32,
        ChannelMult = [1, 1],
        NumResBlocks = [1, 1],
        AttentionResolutions = [16, 8],
        SwinEmbedDim = 32,
        NumHeadChannels = 16,
        WindowSize = 4,
        MlpRatio = 1,
        LqSize = 16,
    });

    static VQModelTorch TinyVq() => new(new VQModelOptions
    {
        NEmbed = 64,
        DdConfig = new DdConfig { Ch = 32, ChMult = [1, 1, 1], NumResBlocks = [1, 1, 1], Resolution = 64 },
    });

    sealed class Tiny : IDisposable
    {
        public readonly UNetModelSwin Unet;
        public readonly VQModelTorch Vq;
        public readonly SuperResolver Resolver;

        public Tiny(UNetCodeBase codeBase = UNetCodeBase.ResShift, SuperResolverOptions? options = null)
        {
            manual_seed(11);
            Unet = TinyUnet(codeBase);
            Vq = TinyVq();
            Resolver = new SuperResolver(Unet, Vq, options: options ?? new SuperResolverOptions { PaddingMultiple = 16 });
        }

        public void Dispose() { Resolver.Dispose(); Unet.Dispose(); Vq.Dispose(); }
    }

    static Tensor Lr(long h, long w, long seed = 3)
    {
        using var g = new TorchSharp.torch.Generator((ulong)seed);
        return rand(new long[] { 1, 3, h, w }, generator: g);
    }

    [TestMethod]
    public void SuperResolve_SameSeed_GivesSameOutputAndOtherSeedDiffers()
    {
        using var tiny = new Tiny(options: new SuperResolverOptions { PaddingMultiple = 16, Seed = 7 });
        using var lr = Lr(12, 20);
        // The T-step chain (16 draws) twice, then the one-step path.
        using var a = tiny.Resolver.SuperResolve(lr);
        using var b = tiny.Resolver.SuperResolve(lr);
        using var c = tiny.Resolver.SuperResolve(lr, seed: 8, steps: 1);
        using var d = tiny.Resolver.SuperResolve(lr, seed: 7, steps: 1);
        using var e = tiny.Resolver.SuperResolve(lr, seed: 7, steps: 1);
        CollectionAssert.AreEqual(new long[] { 1, 3, 48, 80 }, a.shape);
        TensorAssert.MaxAbsBelow(a, b, 0, "same seed, repeated call");
        TensorAssert.MaxAbsBelow(d, e, 0, "same seed, one-step path");
        Assert.IsTrue(TensorAssert.MaxAbs(c, d) > 1e-4, "another seed gives another sample");
        using var f = tiny.Resolver.SuperResolve(lr, seed: 8);
        Assert.IsTrue(TensorAssert.MaxAbs(a, f) > 1e-4, "another seed gives another chain");
        Assert.IsTrue(a.min().item<float>() >= 0 && a.max().item<float>() <= 1, "output in [0, 1]");
    }

    [TestMethod]
    public void SuperResolve_StepsOverride_RunsOneOrTNetworkCallsAndReportsTimings()
    {
        using var tiny = new Tiny();
        int t = tiny.Resolver.Schedule.NumTimesteps;
        CollectionAssert.AreEqual(new[] { 1, t }, tiny.Resolver.AllowedSteps.ToArray());
        using var lr = Lr(8, 8);
        tiny.Resolver.SuperResolve(lr, seed: 1, steps: 1).Dispose();
        var one = tiny.Resolver.LastTimings;
        Assert.AreEqual(1, one.DenoiserCalls);
        Assert.IsTrue(one.EncodeMs > 0 && one.DenoiserMs > 0 && one.DecodeMs > 0, $"stage times recorded: {one}");
        Assert.IsTrue(one.TotalMs >= one.EncodeMs + one.DenoiserMs + one.DecodeMs, $"total covers the stages: {one}");
        tiny.Resolver.SuperResolve(lr).Dispose();
        Assert.AreEqual(t, tiny.Resolver.LastTimings.DenoiserCalls, "ResShift default: T steps");
        Assert.IsInstanceOfType<SinSrOneStepSampler>(tiny.Resolver.SamplerFor(1));
        Assert.IsInstanceOfType<ResShiftSampler>(tiny.Resolver.SamplerFor(t));
        var e = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => tiny.Resolver.SuperResolve(lr, seed: 1, steps: 4));
        StringAssert.Contains(e.Message, $"1 (one-step");
        StringAssert.Contains(e.Message, $"or {t}");
    }

    [TestMethod]
    public void SuperResolve_InputNotOneRgbImageInUnitRange_ThrowsNamingTheProblem()
    {
        using var tiny = new Tiny();
        var r = tiny.Resolver;
        (Tensor Input, string Expect)[] bad =
        [
            (rand(3, 8, 8), "(1, 3, h, w)"),
            (rand(1, 1, 8, 8), "(1, 3, h, w)"),
            (rand(2, 3, 8, 8), "(1, 3, h, w)"),
            (rand(new long[] { 1, 3, 8, 8 }, dtype: ScalarType.Float64), "float32"),
            (rand(1, 3, 8, 8) * 255, "[0, 1]"),
            (rand(1, 3, 8, 8) - 0.5, "[0, 1]"),
            (full(new long[] { 1, 3, 8, 8 }, float.NaN), "[0, 1]"),
        ];
        foreach (var (input, expect) in bad)
        {
            using (input)
            {
                var e = Assert.ThrowsExactly<ArgumentException>(() => r.SuperResolve(input), $"input [{string.Join(",", input.shape)}] {input.dtype}");
                Assert.AreEqual("lr01", e.ParamName);
                StringAssert.Contains(e.Message, expect);
            }
        }
        Assert.ThrowsExactly<ArgumentNullException>(() => r.SuperResolve(null!));
    }

    [TestMethod]
    public void SuperResolve_SidesTooSmallForReflectPadding_UseIteratedReflectOrThrowWhenAsked()
    {
        // 5x3 LR padded to 16: reflect needs pad < side, so the reference would crash; the default iterates the reflection.
        using var tiny = new Tiny();
        using var lr = Lr(5, 3);
        using var sr = tiny.Resolver.SuperResolve(lr, seed: 1, steps: 1);
        CollectionAssert.AreEqual(new long[] { 1, 3, 20, 12 }, sr.shape);
        Assert.IsFalse(sr.isnan().any().item<bool>(), "finite output");

        using var strict = new Tiny(options: new SuperResolverOptions { PaddingMultiple = 16, SmallSidePadding = SmallSidePadding.Throw });
        var e = Assert.ThrowsExactly<ArgumentException>(() => strict.Resolver.SuperResolve(lr, seed: 1, steps: 1));
        StringAssert.Contains(e.Message, "reflect");
    }

    [TestMethod]
    public void SuperResolve_ImageLargerThanTile_IsTiledAndKeepsSize()
    {
        using var tiny = new Tiny(options: new SuperResolverOptions { PaddingMultiple = 16, TileSize = 16, TileStride = 12 });
        using var lr = Lr(16, 28);
        using var sr = tiny.Resolver.SuperResolve(lr, seed: 2, steps: 1);
        CollectionAssert.AreEqual(new long[] { 1, 3, 64, 112 }, sr.shape);
        Assert.AreEqual(LatentSrPipeline.TileStarts(28, 16, 12).Count, tiny.Resolver.LastTimings.DenoiserCalls, "one network call per tile");
    }

    [TestMethod]
    public void SuperResolveBatch_SameSizeImages_EqualEachImageAloneInOneNetworkCallPerStep()
    {
        foreach (int steps in new[] { 1, 0 })
        {
            using var tiny = new Tiny(options: new SuperResolverOptions { PaddingMultiple = 16, Seed = 5, Steps = steps == 0 ? null : steps });
            var singles = Enumerable.Range(0, 3).Select(i => Lr(12, 20, seed: 40 + i)).ToArray();
            var alone = singles.Select(lr => tiny.Resolver.SuperResolve(lr)).ToArray();
            int callsAlone = tiny.Resolver.LastTimings.DenoiserCalls;
            using var batch = cat(singles, 0);
            using var together = tiny.Resolver.SuperResolveBatch(batch);
            CollectionAssert.AreEqual(new long[] { 3, 3, 48, 80 }, together.shape);
            Assert.AreEqual(callsAlone, tiny.Resolver.LastTimings.DenoiserCalls, $"steps {tiny.Resolver.Steps}: one call per step for the whole batch");
            for (int i = 0; i < 3; i++)
            {
                double diff = (together[i..(i + 1)] - alone[i]).abs().max().item<float>();
                Assert.IsTrue(diff < 1e-4, $"steps {tiny.Resolver.Steps}, image {i}: batched differs from alone by {diff}");
            }
            foreach (var t in singles.Concat(alone)) t.Dispose();
        }
    }

    [TestMethod]
    public void SuperResolve_TilesBatched_EqualTilesOneAtATimeWithFewerNetworkCalls()
    {
        foreach (int steps in new[] { 1, 0 })
        {
            SuperResolverOptions Opt(int batch) => new() { PaddingMultiple = 16, TileSize = 16, TileStride = 12, Seed = 9, BatchSize = batch, Steps = steps == 0 ? null : steps };
            using var lr = Lr(28, 40);
            using var one = new Tiny(options: Opt(1));
            using var a = one.Resolver.SuperResolve(lr);
            int tiles = LatentSrPipeline.TileStarts(28, 16, 12).Count * LatentSrPipeline.TileStarts(40, 16, 12).Count;
            int perTile = one.Resolver.LastTimings.DenoiserCalls / tiles;
            using var three = new Tiny(options: Opt(3));
            using var b = three.Resolver.SuperResolve(lr);
            Assert.AreEqual((tiles + 2) / 3 * perTile, three.Resolver.LastTimings.DenoiserCalls, $"{tiles} tiles in batches of 3");
            double diff = (a - b).abs().max().item<float>();
            Assert.IsTrue(diff < 1e-4, $"steps {one.Resolver.Steps}: batched tiles differ from one at a time by {diff}");
        }
    }

    [TestMethod]
    public void SuperResolveBatch_BadImageOrShape_ThrowsNamingIt()
    {
        using var tiny = new Tiny();
        using var bad = cat(new[] { Lr(8, 8), Lr(8, 8) * 3 }, 0);
        var e = Assert.ThrowsExactly<ArgumentException>(() => tiny.Resolver.SuperResolveBatch(bad));
        StringAssert.Contains(e.Message, "lr01[1]");
        using var gray = zeros(2, 1, 8, 8);
        Assert.ThrowsExactly<ArgumentException>(() => tiny.Resolver.SuperResolveBatch(gray));
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => new Tiny(options: new SuperResolverOptions { PaddingMultiple = 16, BatchSize = 0 }));
    }

    [TestMethod]
    public void Constructor_CheckpointsNotInModelDirectory_ThrowsModelAssetMissingNamingTheFile()
    {
        var dir = Directory.CreateTempSubdirectory("hfdiff-empty-");
        try
        {
            var e1 = Assert.ThrowsExactly<ModelAssetMissingException>(() => new SuperResolver(new SuperResolverOptions { Config = "sinsr", ModelDirectory = dir.FullName }));
            StringAssert.Contains(e1.Message, KnownAssets.SinSrV1.FileName);
            StringAssert.Contains(e1.Message, dir.FullName);
            var e2 = Assert.ThrowsExactly<ModelAssetMissingException>(() => new SuperResolver(new SuperResolverOptions { Config = "resshift", ModelDirectory = dir.FullName }));
            StringAssert.Contains(e2.Message, KnownAssets.ResShiftUnet.FileName);
            File.WriteAllText(Path.Combine(dir.FullName, KnownAssets.ResShiftUnet.FileName), "");
            var e3 = Assert.ThrowsExactly<ModelAssetMissingException>(() => new SuperResolver(new SuperResolverOptions { Config = "ResShift", ModelDirectory = dir.FullName }));
            StringAssert.Contains(e3.Message, KnownAssets.VqF4.FileName);
        }
        finally { dir.Delete(recursive: true); }
    }

    [TestMethod]
    public void Constructor_InvalidOptions_ThrowBeforeLoadingAnything()
    {
        var missing = Path.Combine(Path.GetTempPath(), $"no-such-{Guid.NewGuid():N}.yaml");
        var e1 = Assert.ThrowsExactly<ArgumentException>(() => new SuperResolver(new SuperResolverOptions { Config = missing }));
        Assert.AreEqual("Config", e1.ParamName);
        StringAssert.Contains(e1.Message, "sinsr, resshift");
        var e2 = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => new SuperResolver(new SuperResolverOptions { Steps = 3 }));
        Assert.AreEqual("Steps", e2.ParamName);
        StringAssert.Contains(e2.Message, "or 15");
        var e3 = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => new SuperResolver(new SuperResolverOptions { TileSize = 64, TileStride = 65 }));
        Assert.AreEqual("TileStride", e3.ParamName);
        var e4 = Assert.ThrowsExactly<ArgumentException>(() => new SuperResolver(new SuperResolverOptions { Device = "tpu:0" }));
        Assert.AreEqual("Device", e4.ParamName);
        var e5 = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => new SuperResolver(new SuperResolverOptions { PaddingMultiple = 0 }));
        Assert.AreEqual("PaddingMultiple", e5.ParamName);
        // A tile below the network's input multiple (64 for SinSR) would only be padding: refused.
        var e6 = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => new SuperResolver(new SuperResolverOptions { TileSize = 3, TileStride = 3 }));
        Assert.AreEqual("TileSize", e6.ParamName);
        StringAssert.Contains(e6.Message, "TileSize must be >= 64");
    }

    [TestMethod]
    public void SrBenchmark_TinyResolver_ReportsStatsAndPeakMemory()
    {
        using var tiny = new Tiny();
        var result = SrBenchmark.Run(tiny.Resolver, lrSize: 8, steps: 1, runs: 3, warmupRuns: 1);
        Assert.AreEqual(32, result.SrSize);
        Assert.AreEqual(1, result.Steps);
        Assert.AreEqual(3, result.Runs);
        foreach (var s in new[] { result.Encode, result.Denoiser, result.Decode, result.Total })
            Assert.IsTrue(s.MinMs > 0 && s.MinMs <= s.MedianMs && s.MedianMs <= s.MaxMs, $"ordered stats {s}");
        Assert.IsTrue(result.Total.MedianMs >= result.Encode.MinMs + result.Denoiser.MinMs + result.Decode.MinMs - 1e-9);
        Assert.IsTrue(result.Threads >= 1);
        Assert.IsTrue(result.CpuSecondsPerRun > 0, "process CPU time measured");
        if (OperatingSystem.IsLinux()) Assert.IsTrue(result.PeakRssBytes > 0, "VmHWM read on Linux");
        StringAssert.Contains(result.ToString(), "SR 8->32");
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => SrBenchmark.Run(tiny.Resolver, lrSize: 8, steps: 2, runs: 1));
    }

    [TestMethod]
    public void SrTimingStats_Of_TakesMedianOfOddAndEvenCounts()
    {
        Assert.AreEqual(new SrTimingStats(2, 1, 9), SrTimingStats.Of([9, 1, 2]));
        Assert.AreEqual(new SrTimingStats(2.5, 1, 9), SrTimingStats.Of([9, 1, 2, 3]));
        Assert.ThrowsExactly<ArgumentException>(() => SrTimingStats.Of([]));
    }
}
