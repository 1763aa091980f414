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
/// </summary>
[TestClass]
public class SinSrStudentTrainerTests
{
    static int _threads;

    [ClassInitialize]
    public static void SingleThread(TestContext _) { _threads = torch.get_num_threads(); torch.set_num_threads(1); }

    [ClassCleanup]
    public static void RestoreThreads() => torch.set_num_threads(_threads);

    [TestMethod, TestCategory("Parity.Training")]
    public void Train_FixtureSettings_MatchesOfficialLoop()
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
        });
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
        }));
        var output = Path.Combine(Path.GetTempPath(), "hfdiff-student-parity-" + Guid.NewGuid().ToString("N"));
        try
        {
            using var data = fx.Batch();
            using var loop = new TrainingLoop(trainer, new TrainingLoopOptions
            {
                OutputFolder = output,
                LrSchedule = new SinSrLrSchedule(s.GetProperty("lr").GetDouble(), TrainerFixture.Longs(s.GetProperty("milestones"))),
                Iterations = iterations, Batch = batch, Microbatch = microbatch,
                EmaRate = s.GetProperty("ema_rate").GetDouble(), WeightDecay = s.GetProperty("weight_decay").GetDouble(),
                SaveFreq = iterations,
            });
            var result = loop.Run(data, new TrainingRunHooks { Noise = noise, OnIteration = parity.Check });
            Assert.AreEqual(draws.Count, noise.Count, "noise draws");
            parity.CheckFinal(result, student, loop.Ema, () => fx.UNet("student", TrainerFixture.StudentFile));
        }
        finally
        {
            foreach (var t in start.Values) t.Dispose();
            try { Directory.Delete(output, true); } catch (IOException) { }
        }
    }
}
