using HfDiff.Tests.Common;
using HfDiff.Torch.Samplers;
using HfDiff.Torch.Schedules;
using static TorchSharp.torch;

namespace HfDiff.Torch.Tests.Samplers;

/// <summary>
/// SinSR's deterministic teacher chain against <c>distill.teacher_*</c> (replayed teacher outputs).
/// Tolerances: teacher inputs rel 1e-6, states rel 1e-5.
/// </summary>
[TestClass]
public class SinSrDdimSamplerTests
{
    static ResShiftFixture? _fx;
    static ResShiftFixture Fx => _fx ??= new ResShiftFixture();

    [ClassCleanup]
    public static void Cleanup() { _fx?.Dispose(); _fx = null; }

    [TestMethod, TestCategory("Parity.ResShift")]
    public void Step_TeacherForced_ReproducesEveryDdimState()
    {
        var schedule = new ResShiftSchedule(Fx.ScheduleOptions);
        var sampler = new SinSrDdimSampler(schedule);
        var zY = Fx["distill.z_y"];
        var states = Fx["distill.teacher_ddim_sample"];
        var preds = Fx["distill.teacher_pred_x0"];
        var ts = Fx["distill.teacher_t"];
        long steps = states.shape[0];
        double worst = 0;
        for (long k = 0; k < steps; k++)
        {
            using var scope = NewDisposeScope();
            var tRow = ts[k].data<long>().ToArray();
            Assert.IsTrue(tRow.All(v => v == tRow[0]), "one t per step");
            int t = (int)tRow[0];
            Assert.AreEqual(sampler.Timesteps[(int)k], t, $"step {k}: timestep");
            var x = k == 0 ? Fx["distill.z_t"] : states[k - 1];
            var step = sampler.Step(preds[k], t, x, zY);
            double err = TensorAssert.RelL2(step.PrevSample, states[k]);
            worst = Math.Max(worst, err);
            Assert.IsTrue(err < 1e-5, $"step {k} (t={t}): state rel L2 {err:E3}");
        }
        TensorAssert.MaxAbsBelow(states[steps - 1], Fx["distill.z_start_teacher"], 0, "fixture: z_start_teacher = last state");
        Console.WriteLine($"worst per-step DDIM state rel L2 {worst:E2}");
    }

    [TestMethod, TestCategory("Parity.ResShift")]
    public void Sample_ReplayTeacher_DrawsOnlyThePriorAndReachesZStartTeacher()
    {
        var schedule = new ResShiftSchedule(Fx.ScheduleOptions);
        var sampler = new SinSrDdimSampler(schedule);
        var div = Fx["schedule.scale_input_divisor_f32"];
        var states = Fx["distill.teacher_ddim_sample"];
        var preds = Fx["distill.teacher_pred_x0"];
        var ts = Fx["distill.teacher_t"];
        long steps = states.shape[0];
        var calls = Enumerable.Range(0, (int)steps).Select(k =>
        {
            long t = ts[k][0].item<long>();
            var prev = k == 0 ? Fx["distill.z_t"] : states[k - 1];
            return (prev / div[t], (long)schedule.TimestepMap[(int)t], preds[k]);
        }).ToList();
        var teacher = new ReplayDenoiser(calls, Fx["distill.lq"], 1e-6);
        var noise = new ReplayNoise(new[] { Fx["distill.noise"] });

        var z0 = sampler.Sample(Fx["distill.z_y"], Fx["distill.lq"], teacher.Forward, noise);

        Assert.AreEqual(1, noise.Count, "DDIM draws only the prior");
        Assert.AreEqual((int)steps, teacher.Count);
        double err = TensorAssert.RelL2(z0, Fx["distill.z_start_teacher"]);
        Console.WriteLine($"z_start_teacher rel L2 {err:E2}; worst teacher input rel L2 {teacher.WorstInputRelL2:E2}");
        Assert.IsTrue(err < 1e-5, $"z_start_teacher rel L2 {err:E3}");
    }

    [TestMethod]
    public void Coefficients_LastStep_AreIdentityOnPrediction()
    {
        var sampler = new SinSrDdimSampler(new ResShiftSchedule());
        using var t = ResShiftSchedule.TimestepTensor(0, 1);
        var (k, m, j) = sampler.Coefficients(t, 4);
        Assert.AreEqual(1f, k.item<float>());
        Assert.AreEqual(0f, m.item<float>());
        Assert.AreEqual(0f, j.item<float>());
    }
}
