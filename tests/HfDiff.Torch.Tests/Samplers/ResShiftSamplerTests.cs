using HfDiff.Tests.Common;
using HfDiff.Torch.Samplers;
using HfDiff.Torch.Schedules;
using static TorchSharp.torch;

namespace HfDiff.Torch.Tests.Samplers;

/// <summary>
/// The 15-step ResShift chain against <c>rs.*</c>: the network is replaced by a replay of the stored outputs, so these
/// tests isolate the sampler arithmetic. Tolerances: model input rel 1e-6, states rel 1e-5 (README: float32 rounding;
/// the stored divisor table itself is 1 ulp off the correctly rounded one at 2 of 15 steps).
/// </summary>
[TestClass]
public class ResShiftSamplerTests
{
    static ResShiftFixture? _fx;
    static ResShiftFixture Fx => _fx ??= new ResShiftFixture();

    [ClassCleanup]
    public static void Cleanup() { _fx?.Dispose(); _fx = null; }

    static Tensor Row(string name, long k) => Fx[name][k].unsqueeze(0);

    [TestMethod, TestCategory("Parity.ResShift")]
    public void Step_TeacherForced_ReproducesEveryChainState()
    {
        var schedule = new ResShiftSchedule(Fx.ScheduleOptions);
        var sampler = new ResShiftSampler(schedule);
        var div = Fx["schedule.scale_input_divisor_f32"];
        var zY = Fx["rs.z_y"];
        long steps = Fx["rs.x_t"].shape[0];
        Assert.AreEqual(schedule.NumTimesteps, (int)steps, "rs.x_t rows = T");
        CollectionAssert.AreEqual(Enumerable.Range(0, (int)steps).Reverse().ToArray(), sampler.Timesteps.ToArray());
        double worstState = 0, worstInput = 0;
        for (long k = 0; k < steps; k++)
        {
            using var scope = NewDisposeScope();
            int t = sampler.Timesteps[(int)k];
            var x = Row("rs.x_t", k);
            var modelIn = sampler.ScaleModelInput(x, t);
            double inErr = TensorAssert.RelL2(modelIn, x / div[t]);
            worstInput = Math.Max(worstInput, inErr);
            Assert.IsTrue(inErr < 1e-6, $"step {k}: model input rel {inErr:E2}");
            var step = sampler.Step(Row("rs.pred_x0", k), t, x, zY, Row("rs.step_noise", k));
            var expected = k + 1 < steps ? Row("rs.x_t", k + 1) : Fx["rs.final_latent"];
            double err = TensorAssert.RelL2(step.PrevSample, expected);
            worstState = Math.Max(worstState, err);
            Assert.IsTrue(err < 1e-5, $"step {k} (t={t}): state rel L2 {err:E3}");
            TensorAssert.MaxAbsBelow(step.PredXStart, Row("rs.pred_x0", k), 0, $"step {k}: x0 (no clamp with an autoencoder)");
        }
        Console.WriteLine($"worst per-step state rel L2 {worstState:E2}; worst model-input rel L2 {worstInput:E2}");
    }

    [TestMethod, TestCategory("Parity.ResShift")]
    public void Sample_ReplayDenoiserAndNoise_DrawsInReferenceOrderAndReachesFinalLatent()
    {
        var schedule = new ResShiftSchedule(Fx.ScheduleOptions);
        var sampler = new ResShiftSampler(schedule);
        var div = Fx["schedule.scale_input_divisor_f32"];
        long steps = Fx["rs.x_t"].shape[0];
        var calls = Enumerable.Range(0, (int)steps).Select(k =>
        {
            int t = (int)steps - 1 - k;
            return (Row("rs.x_t", k) / div[t], (long)schedule.TimestepMap[t], Row("rs.pred_x0", k));
        }).ToList();
        var denoiser = new ReplayDenoiser(calls, Fx["rs.y0_padded"], 1e-6);
        var draws = new List<Tensor> { Fx["rs.prior_noise"] };
        draws.AddRange(Enumerable.Range(0, (int)steps).Select(k => Row("rs.step_noise", k)));
        var noise = new ReplayNoise(draws);

        var final = sampler.Sample(Fx["rs.z_y"], Fx["rs.y0_padded"], denoiser.Forward, noise);

        Assert.AreEqual((int)steps, denoiser.Count, "denoiser calls");
        Assert.AreEqual((int)steps + 1, noise.Count, "noise draws (1 prior + T, the t=0 one masked)");
        double err = TensorAssert.RelL2(final, Fx["rs.final_latent"]);
        Console.WriteLine($"final latent rel L2 {err:E2}; worst model input rel L2 {denoiser.WorstInputRelL2:E2}");
        Assert.IsTrue(err < 1e-5, $"final latent rel L2 {err:E3}");
    }

    [TestMethod]
    public void Step_LastTimestepWithoutNoise_ReturnsPosteriorMean()
    {
        var sampler = new ResShiftSampler(new ResShiftSchedule());
        using var x = randn(1, 3, 8, 8);
        using var y = randn(1, 3, 8, 8);
        using var x0 = randn(1, 3, 8, 8);
        var s = sampler.Step(x0, 0, x, y, null);
        // t = 0: η_{-1} = 0, so the mean is exactly x̂_0 · α_0/η_0 = x̂_0.
        TensorAssert.MaxAbsBelow(s.PrevSample, x0, 0, "x_{-1}");
        using var n = randn(1, 3, 8, 8);
        TensorAssert.MaxAbsBelow(sampler.Step(x0, 0, x, y, n).PrevSample, x0, 0, "masked noise at t=0");
    }

    [TestMethod]
    public void Step_BadArguments_ThrowClearErrors()
    {
        var sampler = new ResShiftSampler(new ResShiftSchedule());
        using var x = randn(1, 3, 8, 8);
        using var wrong = randn(1, 3, 8, 4);
        var e1 = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => sampler.Step(x, 15, x, x, x));
        StringAssert.Contains(e1.Message, "[0, 14]");
        var e2 = Assert.ThrowsExactly<ArgumentNullException>(() => sampler.Step(x, 3, x, x, null));
        Assert.AreEqual("noise", e2.ParamName);
        var e3 = Assert.ThrowsExactly<ArgumentException>(() => sampler.Step(wrong, 3, x, x, x));
        Assert.AreEqual("modelOutput", e3.ParamName);
        var e4 = Assert.ThrowsExactly<InvalidOperationException>(() =>
            sampler.Sample(x, x, (a, t, l) => a[.., .., .., ..4].clone(), new GeneratorNoiseSource(1)));
        StringAssert.Contains(e4.Message, "denoiser returned shape");
    }

    [TestMethod]
    public void Sample_GeneratorNoise_IsReproducibleAndNoiseRepeatSharesNoise()
    {
        var sampler = new ResShiftSampler(new ResShiftSchedule());
        using var zY = randn(2, 3, 8, 8);
        Tensor Den(Tensor a, Tensor t, Tensor l) => a * 0.5;
        using var a1 = sampler.Sample(zY, zY, Den, new GeneratorNoiseSource(7));
        using var a2 = sampler.Sample(zY, zY, Den, new GeneratorNoiseSource(7));
        TensorAssert.MaxAbsBelow(a1, a2, 0, "same seed");
        var repeat = new ResShiftSampler(new ResShiftSchedule(), new ResShiftSamplerOptions { NoiseRepeat = true });
        using var same = cat(new[] { zY[0].unsqueeze(0), zY[0].unsqueeze(0) }, 0);
        using var r = repeat.Sample(same, same, Den, new GeneratorNoiseSource(7));
        TensorAssert.MaxAbsBelow(r[0], r[1], 0, "noise_repeat: identical inputs give identical outputs");
    }
}
