using HfDiff.Torch.Losses.Distillation;
using HfDiff.Torch.Schedules;
using HfDiff.Torch.Tests.Samplers;
using HfDiff.Torch.Training;
using HfDiff.Torch.Training.Core;
using TorchSharp;
using static TorchSharp.torch;

namespace HfDiff.Torch.Tests.Training;

/// <summary>
/// <see cref="SinSrStudentTrainer"/> against fixtures/trainer's student loop (SinSR <c>TrainerDistillDifIR</c>), replaying
/// every stored noise draw. Tolerances (README): per-microbatch losses and grad norms rel ≤ 1e-4, lrs exact, tracked
/// parameters/EMA and final state dicts: relative L2 of the update ≤ 1e-2 per tensor and ≤ 1e-3 overall.
/// <para>The student loop cannot meet those tolerances, and the reference cannot meet them against an exact evaluation either:
/// the gradient passes through the teacher's 15-step DDIM chain, which amplifies float32 rounding, and AdamW's first step is
/// about lr·sign(g), so elements with a small gradient flip. Measured on the shipped fixture at iteration 1 against a float64
/// evaluation: grad norm 7.947483 exact, reference 7.946915 (−7.2e-5), ours 7.948165 (+8.6e-5); first step of
/// <c>input_blocks.1.1.blocks.1.attn.qkv.weight</c>: reference 3.6e-2 from the exact step, ours 6.2e-2 (ours vs reference 5.1e-2).
/// <see cref="FirstStep_Float64Evaluation_OursAsCloseAsReference"/> asserts that; the loop comparison then uses
/// <see cref="StudentTolerances"/> (measured: losses 1.5e-4 (8.5e-4 with AVX2 kernels on an AVX-512 CPU), grad norms 4.2e-4 on an AVX-512 CPU and 1.18e-3 on an AVX2-only one, tracked updates 5.1e-2, final worst tensor
/// 0.29 and overall 3.9e-2; per tensor only gross errors are caught, since one flipped element of a 32-element bias
/// alone gives 0.35).</para>
/// </summary>
[TestClass]
public class SinSrStudentTrainerTests
{
    static int _threads;

    [ClassInitialize]
    public static void SingleThread(TestContext _) { _threads = torch.get_num_threads(); torch.set_num_threads(1); }

    [ClassCleanup]
    public static void RestoreThreads() => torch.set_num_threads(_threads);

    // Grad norm: after the sign-like first step the parameters differ at rounding-flip level, so later gradients do too
    // (measured at iteration 2: 4.2e-4 on an AVX-512 CPU, 1.18e-3 on an AVX2-only CPU). Losses likewise: 1.5e-4, but 8.5e-4
    // at iteration 3 with ONEDNN_MAX_CPU_ISA=AVX2 on an AVX-512 EPYC, after one rounding flip in input_blocks.0.0.weight's
    // first step (FirstStep_Float64Evaluation_OursAsCloseAsReference).
    static readonly TrainerParityTolerances StudentTolerances = new() { Loss = 2e-3, GradNorm = 2.5e-3, UpdatePerTensor = 1.0, UpdateOverall = 0.1 };

    // earlyBackward: the lower-memory order (inverse and consistency terms back-propagated inside the loss, scaled by the
    // loop's 1/nacc) must reproduce the official loop within the same bounds.
    [TestMethod, TestCategory("Parity.Training")]
    [DataRow(false, DisplayName = "official single backward")]
    [DataRow(true, DisplayName = "early backward (hfdiff.early_backward)")]
    public void Train_FixtureSettings_MatchesOfficialLoop(bool earlyBackward)
    {
        using var fx = new TrainerFixture();
        var s = fx.Section("student");
        int iterations = s.GetProperty("iterations").GetInt32(), batch = s.GetProperty("batch").GetInt32(), microbatch = s.GetProperty("microbatch").GetInt32();
        int nacc = (batch + microbatch - 1) / microbatch;

        using var student = fx.UNet("student", TrainerFixture.StudentFile);
        using var teacher = fx.UNet("teacher", TrainerFixture.TeacherFile);
        using var vq = fx.Autoencoder();
        var trainer = SinSrStudentTrainer.Create(student, teacher, vq, new ResShiftSchedule(fx.ScheduleOptions), new SinSrStudentTrainerOptions
        {
            Loss = new SinSrDistillationLossOptions { LearnXT = s.GetProperty("learn_xT").GetBoolean(), FinetuneUseGt = s.GetProperty("finetune_use_gt").GetDouble() },
            ReportPredictions = true,
            EarlyBackward = earlyBackward,
        });
        Assert.AreEqual(earlyBackward, trainer.Settings.ContainsKey("early_backward"), "early_backward is part of the resume fingerprint when on");
        var start = TrainingCompare.Clone(student.state_dict());
        var draws = new List<Tensor>();
        for (int cur = 1; cur <= iterations; cur++)
            for (int mi = 0; mi < nacc; mi++) draws.Add(fx.Io[$"student.noise.{cur}.{mi}"]);
        var noise = new ReplayNoise(draws);
        var parity = new TrainerParity(fx, "student", start, TrainerParity.RoundingLevelGradients(trainer, () =>
        {
            using var gt = fx.SourceIo["distill.gt"].narrow(0, 0, Math.Min(microbatch, batch));
            using var lq = fx.SourceIo["distill.lq"].narrow(0, 0, Math.Min(microbatch, batch));
            return trainer.Compute(gt, lq, new ReplayNoise([draws[0]]), new ReplayTimesteps([]));
        }), StudentTolerances);
        var output = Path.Combine(Path.GetTempPath(), "hfdiff-student-parity-" + Guid.NewGuid().ToString("N"));
        try
        {
            using var data = fx.Batch();
            using var loop = new TrainingLoop(trainer, LoopOptions(fx, output));
            var result = loop.Run(data, new TrainingRunHooks { Noise = noise, OnIteration = parity.Check });
            Assert.AreEqual(draws.Count, noise.Count, "noise draws");
            var f64 = Float64Run(fx, draws);
            try { parity.CheckFinal(result, student, loop.Ema, () => fx.UNet("student", TrainerFixture.StudentFile), f64); }
            finally { f64.Dispose(); }
        }
        finally
        {
            foreach (var t in start.Values) t.Dispose();
            try { Directory.Delete(output, true); } catch (IOException) { }
        }
    }

    /// <summary>The fixture's student loop settings (every value from config.json).</summary>
    static TrainingLoopOptions LoopOptions(TrainerFixture fx, string output)
    {
        var s = fx.Section("student");
        int iterations = s.GetProperty("iterations").GetInt32();
        return new TrainingLoopOptions
        {
            OutputFolder = output,
            LrSchedule = new SinSrLrSchedule(s.GetProperty("lr").GetDouble(), TrainerFixture.Longs(s.GetProperty("milestones"))),
            Iterations = iterations, Batch = s.GetProperty("batch").GetInt32(), Microbatch = s.GetProperty("microbatch").GetInt32(),
            EmaRate = s.GetProperty("ema_rate").GetDouble(), WeightDecay = s.GetProperty("weight_decay").GetDouble(),
            SaveFreq = iterations,
        };
    }

    /// <summary>The same loop with networks, batch and stored draws in float64.</summary>
    static Float64RunResult Float64Run(TrainerFixture fx, List<Tensor> draws)
    {
        var s = fx.Section("student");
        using var student = fx.UNet("student", TrainerFixture.StudentFile);
        using var teacher = fx.UNet("teacher", TrainerFixture.TeacherFile);
        using var vq = fx.Autoencoder();
        foreach (var m in new nn.Module[] { student, teacher, vq }) ModuleExtensionMethods.to(m, ScalarType.Float64);
        var trainer = SinSrStudentTrainer.Create(student, teacher, vq, new ResShiftSchedule(fx.ScheduleOptions), new SinSrStudentTrainerOptions
        {
            Loss = new SinSrDistillationLossOptions { LearnXT = s.GetProperty("learn_xT").GetBoolean(), FinetuneUseGt = s.GetProperty("finetune_use_gt").GetDouble() },
        });
        try { return fx.RunFloat64(trainer, output => LoopOptions(fx, output), draws); }
        finally { (trainer as IDisposable)?.Dispose(); }
    }

    /// <summary>
    /// Iteration 1 evaluated in float64 (networks, batch and stored noise cast to float64) as the exact value. Our float32
    /// gradient norm must be at most twice as far from it as the float32 reference's, and so must our first AdamW step of
    /// every tracked tensor (−lr·g/(|g|+eps) − lr·wd·p, the reference's taken from <c>student.param.1.*</c>): the student's
    /// gradient passes through the teacher's 15-step chain, and AdamW's first step is about lr·sign(g), so elements with a
    /// small gradient flip sign with rounding in the reference as in any port.
    /// </summary>
    [TestMethod, TestCategory("Parity.Training")]
    public void FirstStep_Float64Evaluation_OursAsCloseAsReference()
    {
        using var fx = new TrainerFixture();
        var s = fx.Section("student");
        int batch = s.GetProperty("batch").GetInt32(), microbatch = s.GetProperty("microbatch").GetInt32();
        int nacc = (batch + microbatch - 1) / microbatch;
        var log1 = fx.Section("student_log").EnumerateArray().Single(e => e.GetProperty("iteration").GetInt64() == 1);
        double reference = log1.GetProperty("grad_norm").GetDouble(), lr = log1.GetProperty("lr").GetDouble();
        double wd = s.GetProperty("weight_decay").GetDouble(), eps = new TrainingLoopOptions().Eps;
        var norms = new Dictionary<ScalarType, double>();
        var steps = new Dictionary<ScalarType, Dictionary<string, Tensor>>();
        var grads = new Dictionary<ScalarType, Dictionary<string, Tensor>>();
        var start = new Dictionary<string, Tensor>();
        try
        {
            foreach (var dtype in new[] { ScalarType.Float32, ScalarType.Float64 })
            {
                using var student = fx.UNet("student", TrainerFixture.StudentFile);
                using var teacher = fx.UNet("teacher", TrainerFixture.TeacherFile);
                using var vq = fx.Autoencoder();
                if (dtype == ScalarType.Float32)
                    foreach (var key in fx.TrackedKeys) start[key] = student.state_dict()[key].detach().clone();
                student.to(dtype); teacher.to(dtype); vq.to(dtype);
                var trainer = SinSrStudentTrainer.Create(student, teacher, vq, new ResShiftSchedule(fx.ScheduleOptions), new SinSrStudentTrainerOptions
                {
                    Loss = new SinSrDistillationLossOptions { LearnXT = s.GetProperty("learn_xT").GetBoolean(), FinetuneUseGt = s.GetProperty("finetune_use_gt").GetDouble() },
                });
                trainer.PrepareForTraining();
                for (int mi = 0; mi < nacc; mi++)
                {
                    long j = (long)mi * microbatch, len = Math.Min(microbatch, batch - j);
                    using var gt = fx.SourceIo["distill.gt"].narrow(0, j, len).to(dtype);
                    using var lq = fx.SourceIo["distill.lq"].narrow(0, j, len).to(dtype);
                    using var noise = fx.Io[$"student.noise.1.{mi}"].to(dtype);
                    using var r = trainer.Compute(gt, lq, new ReplayNoise([noise]), new ReplayTimesteps([]));
                    using var scaled = r.Loss / nacc;
                    scaled.backward();
                }
                double sq = 0;
                foreach (var p in student.parameters())
                {
                    using var g = p.grad;
                    if (g is null) continue;
                    using var ss = g.to_type(ScalarType.Float64).square().sum();
                    sq += ss.item<double>();
                }
                norms[dtype] = Math.Sqrt(sq);
                var named = student.named_parameters().ToDictionary(p => p.name, p => p.parameter);
                grads[dtype] = fx.TrackedKeys.ToDictionary(k => k, k => named[k].grad!.to_type(ScalarType.Float64).detach().clone());
                steps[dtype] = fx.TrackedKeys.ToDictionary(k => k, k =>
                {
                    using var scope = NewDisposeScope();
                    var g = named[k].grad!.to_type(ScalarType.Float64);
                    var p = named[k].detach().to_type(ScalarType.Float64);
                    return (-lr * g / (g.abs() + eps) - lr * wd * p).MoveToOuterDisposeScope();
                });
            }
            double exact = norms[ScalarType.Float64], ours = norms[ScalarType.Float32];
            double oursErr = Math.Abs(ours - exact) / exact, refErr = Math.Abs(reference - exact) / exact;
            Console.WriteLine($"iteration 1 grad norm: float64 {exact:R}; ours float32 {ours:R} (rel {oursErr:E2}); reference float32 {reference:R} (rel {refErr:E2}); ours vs reference rel {Math.Abs(ours - reference) / reference:E2}");
            Assert.IsTrue(oursErr <= 2 * refErr + 1e-5, $"grad norm: ours is {oursErr:E3} from the float64 value, the reference {refErr:E3}");
            foreach (var key in fx.TrackedKeys)
            {
                using var scope = NewDisposeScope();
                var exactStep = steps[ScalarType.Float64][key];
                var refStep = fx.Io[$"student.param.1.{key}"].to_type(ScalarType.Float64) - start[key].to_type(ScalarType.Float64);
                double n = exactStep.norm().item<double>();
                double eOurs = (steps[ScalarType.Float32][key] - exactStep).norm().item<double>() / n;
                double eRef = (refStep - exactStep).norm().item<double>() / n;
                double oursVsRef = (steps[ScalarType.Float32][key] - refStep).norm().item<double>() / refStep.norm().item<double>();
                Console.WriteLine($"first step {key}: rel L2 to float64 step ours {eOurs:E2}, reference {eRef:E2}; ours vs reference {oursVsRef:E2}");
                // Where our step still differs, every flipped element must be one whose exact gradient lies within our own
                // float32 gradient error (a rounding flip), and that error must stay at rounding level (measured rms/rms
                // 8.7e-4 with AVX-512, 2.8e-3 with ONEDNN_MAX_CPU_ISA=AVX2; a wrong kernel gave 0.18 and NaN).
                var g32 = grads[ScalarType.Float32][key];
                var g64 = grads[ScalarType.Float64][key];
                var flipped = g32.sign().ne(g64.sign());
                long flips = flipped.sum().item<long>();
                double rms = g64.square().mean().sqrt().item<double>();
                double errRms = (g32 - g64).square().mean().sqrt().item<double>() / rms;
                double errMax = (g32 - g64).abs().max().item<double>() / rms;
                double largestFlipped = flips == 0 ? 0 : g64.abs().masked_select(flipped).max().item<double>() / rms;
                Console.WriteLine($"   gradient vs float64: rms error {errRms:E2}, max {errMax:E2} (of the rms); {flips} sign flips, largest flipped |g| {largestFlipped:E2}");
                Assert.IsTrue(errRms <= 1e-2, $"{key}: our float32 gradient is {errRms:E3} (rms, relative) from the float64 one");
                // Within the README's per-tensor 1e-2 of the exact step, at most 3x as far from it as the reference's, or all of
                // the difference made of rounding flips: the count of flips follows the CPU's rounding (measured ours/reference:
                // 1.7x on an AVX-512 CPU, 2.0x on an AVX2-only CPU; one flip of input_blocks.0.0.weight at 6.5e-3 of the rms
                // gradient, 4.8e-2 of the step, with ONEDNN_MAX_CPU_ISA=AVX2 where the reference flips none).
                bool roundingFlipsOnly = largestFlipped <= errMax;
                Assert.IsTrue(eOurs <= Math.Max(TrainerParity.UpdatePerTensor, 3 * eRef) || roundingFlipsOnly,
                    $"{key}: our first step is {eOurs:E3} from the float64 step, the reference's {eRef:E3}; a flipped element's exact gradient is {largestFlipped:E2} of the rms, above our gradient error {errMax:E2}");
            }
        }
        finally
        {
            foreach (var t in start.Values.Concat(steps.Values.SelectMany(d => d.Values)).Concat(grads.Values.SelectMany(d => d.Values))) t.Dispose();
        }
    }
}
