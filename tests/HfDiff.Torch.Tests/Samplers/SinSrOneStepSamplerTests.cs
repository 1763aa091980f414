using HfDiff.Tests.Common;
using HfDiff.Torch.Samplers;
using HfDiff.Torch.Schedules;
using static TorchSharp.torch;

namespace HfDiff.Torch.Tests.Samplers;

/// <summary>One-step SinSR inference against <c>sin1.*</c> (replayed student). Tolerance rel 1e-6 (two float32 ops).</summary>
[TestClass]
public class SinSrOneStepSamplerTests
{
    static ResShiftFixture? _fx;
    static ResShiftFixture Fx => _fx ??= new ResShiftFixture();

    [ClassCleanup]
    public static void Cleanup() { _fx?.Dispose(); _fx = null; }

    [TestMethod, TestCategory("Parity.ResShift")]
    public void Run_ReplayStudent_MatchesZTAndModelInputAndDrawsTwoNoises()
    {
        var schedule = new ResShiftSchedule(Fx.ScheduleOptions);
        var sampler = new SinSrOneStepSampler(schedule);
        int tLast = schedule.NumTimesteps - 1;
        var student = new ReplayDenoiser(new[] { (Fx["sin1.model_in"], (long)schedule.TimestepMap[tLast], Fx["sin1.pred_z0"]) },
            Fx["sin1.y0_padded"], 1e-6);
        var noise = new ReplayNoise(new[] { Fx["sin1.noise"] }, allowExtraRandom: true);

        var r = sampler.Run(Fx["sin1.z_y"], Fx["sin1.y0_padded"], student.Forward, noise);

        TensorAssert.RelL2Below(r.XT, Fx["sin1.z_T"], 1e-6, "z_T");
        TensorAssert.RelL2Below(r.ModelInput, Fx["sin1.model_in"], 1e-6, "model_in");
        TensorAssert.MaxAbsBelow(r.PredXStart, Fx["sin1.pred_z0"], 0, "pred_z0");
        Assert.AreEqual(2, noise.Count, "SinSR one-step draws 2 noises (the 2nd discarded)");
        Assert.AreEqual(1, student.Count);
        Console.WriteLine($"z_T rel {TensorAssert.RelL2(r.XT, Fx["sin1.z_T"]):E2}, model_in rel {TensorAssert.RelL2(r.ModelInput, Fx["sin1.model_in"]):E2}");
    }

    [TestMethod]
    public void Run_DdimOneStepMode_DrawsOnlyThePrior()
    {
        var sampler = new SinSrOneStepSampler(new ResShiftSchedule(), new SinSrOneStepSamplerOptions { DrawDiscardedStepNoise = false });
        var noise = new ReplayNoise(Array.Empty<Tensor>(), allowExtraRandom: true);
        using var zY = randn(1, 3, 8, 8);
        using var z0 = sampler.Sample(zY, zY, (x, t, l) => x.clone(), noise);
        Assert.AreEqual(1, noise.Count);
    }
}
