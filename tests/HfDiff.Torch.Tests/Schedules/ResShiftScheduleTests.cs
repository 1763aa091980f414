using HfDiff.Tests.Common;
using HfDiff.Torch.Schedules;
using HfDiff.Torch.Tests.Samplers;
using static TorchSharp.torch;

namespace HfDiff.Torch.Tests.Schedules;

[TestClass]
public class ResShiftScheduleTests
{
    static ResShiftFixture? _fx;
    static ResShiftFixture Fx => _fx ??= new ResShiftFixture();

    [ClassCleanup]
    public static void Cleanup() { _fx?.Dispose(); _fx = null; }

    static IReadOnlyList<double>? Table(ResShiftSchedule s, string name) => name switch
    {
        "sqrt_etas" => s.SqrtEtas,
        "etas" => s.Etas,
        "etas_prev" => s.EtasPrev,
        "alpha" => s.Alpha,
        "posterior_variance" => s.PosteriorVariance,
        "posterior_variance_clipped" => s.PosteriorVarianceClipped,
        "posterior_log_variance_clipped" => s.PosteriorLogVarianceClipped,
        "posterior_mean_coef1" => s.PosteriorMeanCoef1,
        "posterior_mean_coef2" => s.PosteriorMeanCoef2,
        "weight_loss_mse" => s.WeightLossMse,
        _ => null,
    };

    // README: schedule.* are float64 numpy arrays; we compute them in float64 too -> elementwise relative 1e-12.
    [TestMethod, TestCategory("Parity.ResShift")]
    public void Constructor_FixtureOptions_MatchesEveryScheduleTable()
    {
        var s = new ResShiftSchedule(Fx.ScheduleOptions);
        var names = Fx.Io.WithPrefix("schedule.");
        Assert.IsTrue(names.Count > 0, "fixture has no schedule.* tensors");
        double worst = 0;
        foreach (var full in names)
        {
            var name = full["schedule.".Length..];
            var expected = Fx[full];
            Assert.AreEqual(s.NumTimesteps, (int)expected.shape[0], $"{full}: length");
            if (name == "timestep_map")
            {
                CollectionAssert.AreEqual(expected.data<long>().ToArray(), s.TimestepMap.ToArray(), full);
                continue;
            }
            if (name == "scale_input_divisor_f32")
            {
                // The reference's float32 torch.sqrt (PyTorch 1.13 CPU) is not correctly rounded: its table differs from the
                // correctly rounded one by 1 ulp at a few t (libtorch 2.10's sqrt differs again, elsewhere). We keep the
                // correctly rounded value; the float32 inputs to the square root are bit-exact, so allow exactly 1 ulp.
                var e = expected.data<float>().ToArray();
                int off = 0;
                for (int i = 0; i < e.Length; i++)
                {
                    int ulps = Math.Abs(BitConverter.SingleToInt32Bits(e[i]) - BitConverter.SingleToInt32Bits(s.ScaleInputDivisorF32[i]));
                    Assert.IsTrue(ulps <= 1, $"{full}[{i}]: {s.ScaleInputDivisorF32[i]:R} vs {e[i]:R} ({ulps} ulp)");
                    if (ulps == 1) off++;
                    double exactRoot = Math.Sqrt((float)s.Etas[i] * (float)(s.Kappa * s.Kappa) + 1f);
                    Assert.IsTrue(Math.Abs(s.ScaleInputDivisorF32[i] - exactRoot) <= Math.ScaleB(1.0, -24) * exactRoot,
                        $"divisor[{i}] is not the correctly rounded float32 root");
                }
                Console.WriteLine($"{full}: {off}/{e.Length} entries 1 ulp from the reference's torch.sqrt, the rest bit-exact");
                continue;
            }
            var table = Table(s, name) ?? throw new AssertFailedException($"{full} has no counterpart in ResShiftSchedule.");
            var exp = expected.data<double>().ToArray();
            for (int i = 0; i < exp.Length; i++)
            {
                double err = Math.Abs(table[i] - exp[i]);
                double rel = exp[i] == 0 ? err : err / Math.Abs(exp[i]);
                worst = Math.Max(worst, rel);
                Assert.IsTrue(rel <= 1e-12, $"{full}[{i}]: {table[i]:R} vs {exp[i]:R} (rel {rel:E2})");
            }
        }
        Console.WriteLine($"worst relative error over schedule tables: {worst:E2}");
    }

    [TestMethod, TestCategory("Parity.ResShift")]
    public void ScaleInput_EachTimestep_DividesByFloat32DivisorOfPassedT()
    {
        var s = new ResShiftSchedule(Fx.ScheduleOptions);
        var x = Fx["rs.x_t"][0].unsqueeze(0);
        var div = Fx["schedule.scale_input_divisor_f32"];
        for (int t = 0; t < s.NumTimesteps; t++)
        {
            using var scope = NewDisposeScope();
            var got = s.ScaleInput(x, ResShiftSchedule.TimestepTensor(t, 1));
            // Exactly x / our float32 divisor of this t ...
            using var ours = tensor(new[] { s.ScaleInputDivisorF32[t] }).reshape(1, 1, 1, 1);
            TensorAssert.MaxAbsBelow(got, x / ours, 0, $"t={t} (own divisor)");
            // ... and within the reference divisor's 1-ulp difference (2^-23 relative) of x / reference divisor.
            TensorAssert.RelL2Below(got, x / div[t], 2.5e-7, $"t={t} (reference divisor)");
        }
    }

    // README quirk 5: the inverse call of the distillation loss runs t=0 but scales with t=T-1.
    [TestMethod, TestCategory("Parity.ResShift")]
    public void ScaleInput_DistillInverseCall_UsesTheScalingTimestepNotTheModelTimestep()
    {
        var s = new ResShiftSchedule(Fx.ScheduleOptions);
        var tScale = Fx["distill.t"];
        Assert.IsTrue(Fx["distill.student_t_1"].data<long>().All(v => v == 0), "fixture: student call 1 runs t=0");
        var got = s.ScaleInput(Fx["distill.z_start_teacher"], tScale);
        TensorAssert.RelL2Below(got, Fx["distill.student_in_1"], 1e-6, "student_in_1");
        var got0 = s.ScaleInput(Fx["distill.z_t"], tScale);
        TensorAssert.RelL2Below(got0, Fx["distill.student_in_0"], 1e-6, "student_in_0");
    }

    [TestMethod, TestCategory("Parity.ResShift")]
    public void PriorSample_StoredNoise_ReproducesFirstChainState()
    {
        var s = new ResShiftSchedule(Fx.ScheduleOptions);
        var got = s.PriorSample(Fx["rs.z_y"], Fx["rs.prior_noise"]);
        TensorAssert.RelL2Below(got, Fx["rs.x_t"][0].unsqueeze(0), 1e-6, "x_T");
        TensorAssert.RelL2Below(s.PriorSample(Fx["distill.z_y"], Fx["distill.noise"]), Fx["distill.z_t"], 1e-6, "distill z_t");
        TensorAssert.RelL2Below(s.PriorSample(Fx["sin1.z_y"], Fx["sin1.noise"]), Fx["sin1.z_T"], 1e-6, "sin1 z_T");
    }

    [TestMethod]
    public void Constructor_Respacing_KeepsSpacedStepsAndMapsTimesteps()
    {
        var full = new ResShiftSchedule(new ResShiftScheduleOptions());
        var spaced = new ResShiftSchedule(new ResShiftScheduleOptions { TimestepRespacing = 4 });
        // space_timesteps(15, 4) = {int(3.75 x)} = {0, 3, 7, 11}
        CollectionAssert.AreEqual(new long[] { 0, 3, 7, 11 }, spaced.TimestepMap.ToArray());
        for (int i = 0; i < 4; i++) Assert.AreEqual(full.SqrtEtas[(int)spaced.TimestepMap[i]], spaced.SqrtEtas[i]);
        Assert.AreEqual(0.0, spaced.EtasPrev[0]);
        Assert.AreEqual(spaced.Etas[1], spaced.EtasPrev[2]);
        using var t = tensor(new long[] { 3, 1 });
        CollectionAssert.AreEqual(new long[] { 11, 3 }, spaced.MapTimesteps(t).data<long>().ToArray());
    }

    [TestMethod]
    public void Constructor_InvalidOptions_ThrowsNamingParameter()
    {
        var cases = new (ResShiftScheduleOptions Options, string Param)[]
        {
            (new() { Kappa = 0 }, "Kappa"),
            (new() { Steps = 1 }, "Steps"),
            (new() { EtasEnd = 1.5 }, "EtasEnd"),
            (new() { MinNoiseLevel = -1 }, "MinNoiseLevel"),
            (new() { Power = double.NaN }, "Power"),
            (new() { ScheduleName = "ldm" }, "ScheduleName"),
            (new() { TimestepRespacing = 16 }, "TimestepRespacing"),
            (new() { ScaleFactor = 0 }, "ScaleFactor"),
        };
        foreach (var (options, param) in cases)
        {
            var e = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => new ResShiftSchedule(options), param);
            Assert.AreEqual(param, e.ParamName, e.Message);
        }
    }

    [TestMethod]
    public void Extract_Float64Table_IndexesThenCastsToFloat32()
    {
        var table = new[] { 0.1, 1.0 / 3.0, 2.0 };
        using var t = tensor(new long[] { 1, 2, 1 });
        using var r = ResShiftSchedule.Extract(table, t, 4);
        CollectionAssert.AreEqual(new long[] { 3, 1, 1, 1 }, r.shape);
        Assert.AreEqual(ScalarType.Float32, r.dtype);
        CollectionAssert.AreEqual(new[] { (float)(1.0 / 3.0), 2f, (float)(1.0 / 3.0) }, r.data<float>().ToArray());
    }
}
