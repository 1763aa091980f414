using HfDiff.Tests.Common;
using HfDiff.Torch.Pipelines;
using HfDiff.Torch.Samplers;
using HfDiff.Torch.Schedules;
using HfDiff.Torch.Tests.Samplers;
using static TorchSharp.torch;

namespace HfDiff.Torch.Tests.Pipelines;

/// <summary>
/// The samplers driven by the REAL reduced fixture networks through <see cref="UNetLatentDenoiser"/>.
/// Tolerances (README "Suggested tolerances"): every network call and every step fed the stored state, relative L2 &lt; 1e-4;
/// free-running chains (rounding amplified over 15 steps) final latent &lt; max(5e-3, 3 × our float64 run's distance to the reference).
/// </summary>
[TestClass]
public class UNetLatentDenoiserTests
{
    const double StepTolerance = 1e-4;
    const double ChainTolerance = 5e-3;

    static SrModelFixture? _fx;
    static SrModelFixture Fx => _fx ??= new SrModelFixture();

    [ClassCleanup]
    public static void Cleanup() { _fx?.Dispose(); _fx = null; }

    [TestMethod, TestCategory("Parity.ResShift")]
    public void Denoise_ResShiftChainTeacherForced_MatchesEveryPredictionAndState()
    {
        var schedule = new ResShiftSchedule(Fx.ScheduleOptions);
        var sampler = new ResShiftSampler(schedule);
        var denoiser = new UNetLatentDenoiser(Fx.UnetA);
        var lq = Fx["rs.y0_padded"];
        var zY = Fx["rs.z_y"];
        long steps = Fx["rs.x_t"].shape[0];
        Assert.AreEqual(schedule.NumTimesteps, (int)steps, "rs.x_t holds one state per step");
        double worstPred = 0, worstState = 0;
        for (int k = 0; k < steps; k++)
        {
            using var scope = NewDisposeScope();
            int t = sampler.Timesteps[k];
            var x = Fx.Row("rs.x_t", k);
            var tt = schedule.MapTimesteps(ResShiftSchedule.TimestepTensor(t, 1));
            var output = denoiser.Denoise(sampler.ScaleModelInput(x, t), tt, lq);
            double predErr = TensorAssert.RelL2(output, Fx.Row("rs.pred_x0", k));
            var step = sampler.Step(output, t, x, zY, Fx.Row("rs.step_noise", k));
            var expected = k + 1 < steps ? Fx.Row("rs.x_t", k + 1) : Fx["rs.final_latent"];
            double stateErr = TensorAssert.RelL2(step.PrevSample, expected);
            worstPred = Math.Max(worstPred, predErr);
            worstState = Math.Max(worstState, stateErr);
            Assert.IsTrue(predErr < StepTolerance, $"step {k} (t={t}): pred_x0 rel L2 {predErr:E3} >= {StepTolerance:E0}");
            Assert.IsTrue(stateErr < StepTolerance, $"step {k} (t={t}): x_t[k+1] rel L2 {stateErr:E3} >= {StepTolerance:E0}");
        }
        Console.WriteLine($"ResShift teacher-forced: worst pred_x0 rel L2 {worstPred:E2}, worst next-state rel L2 {worstState:E2}");
    }

    [TestMethod, TestCategory("Parity.ResShift")]
    public void Sample_ResShiftChainFromEncodedLrWithStoredNoise_ReachesFinalLatent()
    {
        var sampler = new ResShiftSampler(new ResShiftSchedule(Fx.ScheduleOptions));
        // End to end in latent space: z_y from our VQ encoder of the padded, bicubic-upsampled LR (checked in VQLatentAutoencoderTests).
        using var padded = LatentSrPipeline.PadToMultiple((Fx["rs.lr_01"] - 0.5) / 0.5, Fx.ResShiftPadding);
        TensorAssert.MaxAbsBelow(padded, Fx["rs.y0_padded"], 0, "rs.y0_padded");
        using var up = LatentSrPipeline.Upsample(padded, Fx.ScheduleOptions.Sf);
        using var zY = new VQLatentAutoencoder(Fx.Vq).Encode(up);
        long steps = Fx["rs.step_noise"].shape[0];
        var draws = new List<Tensor> { Fx["rs.prior_noise"] };
        draws.AddRange(Enumerable.Range(0, (int)steps).Select(k => Fx.Row("rs.step_noise", k)));
        var noise = new ReplayNoise(draws);
        var perStep = new List<double>();
        int k = 0;

        using var final = sampler.Sample(zY, padded, new UNetLatentDenoiser(Fx.UnetA).AsDelegate(), noise,
            (t, s) => { if (k + 1 < steps) perStep.Add(TensorAssert.RelL2(s.PrevSample, Fx.Row("rs.x_t", k + 1))); k++; });

        Assert.AreEqual((int)steps + 1, noise.Count, "noise draws");
        double err = TensorAssert.RelL2(final, Fx["rs.final_latent"]);
        // Our own float64 run of the same chain: how far the reference's float32 rounding alone put it.
        var draws64 = draws.Select(d => d.to_type(ScalarType.Float64)).ToList();
        using var unet64 = Float64(Fx.UnetAOptions, Fx.UnetAPath);
        using var final64 = sampler.Sample(zY.to_type(ScalarType.Float64), padded.to_type(ScalarType.Float64), new UNetLatentDenoiser(unet64).AsDelegate(), new ReplayNoise(draws64));
        double err64 = TensorAssert.RelL2(final64.to_type(ScalarType.Float32), Fx["rs.final_latent"]);
        double bound = Math.Max(ChainTolerance, 3 * err64);
        Console.WriteLine($"ResShift free-running from encoded LR: z_y rel L2 {TensorAssert.RelL2(zY, Fx["rs.z_y"]):E2}, per-step state rel L2 [{string.Join(", ", perStep.Select(e => e.ToString("E1")))}], final latent {err:E2} (float64 run {err64:E2}, bound {bound:E1})");
        Assert.IsTrue(err < bound, $"final latent rel L2 {err:E3} >= {bound:E1}");
    }

    [TestMethod, TestCategory("Parity.ResShift")]
    public void Denoise_DdimTeacherChainTeacherForced_MatchesEveryPredictionAndState()
    {
        var schedule = new ResShiftSchedule(Fx.ScheduleOptions);
        var ddim = new SinSrDdimSampler(schedule);
        var denoiser = new UNetLatentDenoiser(Fx.UnetA);
        var lq = Fx["distill.lq"];
        var zY = Fx["distill.z_y"];
        var teacherT = Fx["distill.teacher_t"];
        long steps = teacherT.shape[0];
        Assert.AreEqual(schedule.NumTimesteps, (int)steps, "distill.teacher_t rows");
        double worstPred = 0, worstState = 0;
        for (int k = 0; k < steps; k++)
        {
            using var scope = NewDisposeScope();
            // Teacher forcing: step k starts from the stored state after step k-1 (z_t for the first step).
            var x = k == 0 ? Fx["distill.z_t"] : Fx["distill.teacher_ddim_sample"][k - 1];
            var t = teacherT[k];
            var tValues = t.data<long>().Distinct().ToArray();
            Assert.AreEqual(1, tValues.Length, $"step {k}: one timestep for the batch");
            int ti = (int)tValues[0];
            Assert.AreEqual(ddim.Timesteps[k], ti, $"step {k}: DDIM visits the reference's timestep");
            var output = denoiser.Denoise(schedule.ScaleInput(x, t), schedule.MapTimesteps(t), lq);
            double predErr = TensorAssert.RelL2(output, Fx["distill.teacher_pred_x0"][k]);
            var step = ddim.Step(output, ti, x, zY);
            double stateErr = TensorAssert.RelL2(step.PrevSample, Fx["distill.teacher_ddim_sample"][k]);
            worstPred = Math.Max(worstPred, predErr);
            worstState = Math.Max(worstState, stateErr);
            Assert.IsTrue(predErr < StepTolerance, $"step {k} (t={ti}): teacher_pred_x0 rel L2 {predErr:E3} >= {StepTolerance:E0}");
            Assert.IsTrue(stateErr < StepTolerance, $"step {k} (t={ti}): teacher_ddim_sample rel L2 {stateErr:E3} >= {StepTolerance:E0}");
        }
        Console.WriteLine($"DDIM teacher-forced: worst pred_x0 rel L2 {worstPred:E2}, worst state rel L2 {worstState:E2}");
    }

    [TestMethod, TestCategory("Parity.ResShift")]
    public void SampleFrom_DdimTeacherFreeRunning_ReachesZStartTeacher()
    {
        var ddim = new SinSrDdimSampler(new ResShiftSchedule(Fx.ScheduleOptions));
        using var zStart = ddim.SampleFrom(Fx["distill.z_t"], Fx["distill.z_y"], Fx["distill.lq"], new UNetLatentDenoiser(Fx.UnetA).AsDelegate());
        double err = TensorAssert.RelL2(zStart, Fx["distill.z_start_teacher"]);
        using var unet64 = Float64(Fx.UnetAOptions, Fx.UnetAPath);
        using var zStart64 = ddim.SampleFrom(Fx["distill.z_t"].to_type(ScalarType.Float64), Fx["distill.z_y"].to_type(ScalarType.Float64),
            Fx["distill.lq"].to_type(ScalarType.Float64), new UNetLatentDenoiser(unet64).AsDelegate());
        double err64 = TensorAssert.RelL2(zStart64.to_type(ScalarType.Float32), Fx["distill.z_start_teacher"]);
        double bound = Math.Max(ChainTolerance, 3 * err64);
        Console.WriteLine($"DDIM free-running: z_start_teacher rel L2 {err:E2} (float64 run {err64:E2}, bound {bound:E1})");
        Assert.IsTrue(err < bound, $"z_start_teacher rel L2 {err:E3} >= {bound:E1}");
    }

    /// <summary>A fixture UNet in float64: our own precision reference for the free-running chains.</summary>
    static HfDiff.Torch.Archs.ResShift.UNetModelSwin Float64(HfDiff.Torch.Archs.ResShift.UNetModelSwinOptions options, string path)
    {
        var m = new HfDiff.Torch.Archs.ResShift.UNetModelSwin(options);
        HfDiff.Torch.Weights.Checkpoint.LoadInto(m, path, strict: true);
        TorchSharp.ModuleExtensionMethods.to(m, ScalarType.Float64);
        return m;
    }

    [TestMethod]
    public void Constructor_NullNetwork_Throws() =>
        Assert.ThrowsExactly<ArgumentNullException>(() => new UNetLatentDenoiser(null!));
}
