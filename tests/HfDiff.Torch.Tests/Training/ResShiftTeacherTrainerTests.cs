using HfDiff.Torch.Schedules;
using HfDiff.Torch.Tests.Samplers;
using HfDiff.Torch.Training;
using HfDiff.Torch.Training.Core;
using TorchSharp;
using static TorchSharp.torch;

namespace HfDiff.Torch.Tests.Training;

/// <summary>
/// <see cref="ResShiftTeacherTrainer"/> against fixtures/trainer's teacher loop (ResShift <c>TrainerDifIR</c>,
/// <c>lr_schedule: ~</c>), replaying every stored timestep and noise draw. Tolerances as for the student (README).
/// </summary>
[TestClass]
public class ResShiftTeacherTrainerTests
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
        var s = fx.Section("teacher");
        int iterations = s.GetProperty("iterations").GetInt32(), batch = s.GetProperty("batch").GetInt32(), microbatch = s.GetProperty("microbatch").GetInt32();
        int nacc = (batch + microbatch - 1) / microbatch;

        using var model = fx.UNet("teacher", TrainerFixture.TeacherFile);
        using var vq = fx.Autoencoder();
        var trainer = ResShiftTeacherTrainer.Create(model, vq, new ResShiftSchedule(fx.ScheduleOptions), new ResShiftTeacherTrainerOptions { ReportPredictions = true });
        var start = TrainingCompare.Clone(model.state_dict());
        var noiseDraws = new List<Tensor>();
        var tDraws = new List<Tensor>();
        for (int cur = 1; cur <= iterations; cur++)
            for (int mi = 0; mi < nacc; mi++)
            {
                noiseDraws.Add(fx.Io[$"teacher.noise.{cur}.{mi}"]);
                tDraws.Add(fx.Io[$"teacher.t.{cur}.{mi}"]);
            }
        var noise = new ReplayNoise(noiseDraws);
        var timesteps = new ReplayTimesteps(tDraws);
        var parity = new TrainerParity(fx, "teacher", start, TrainerParity.RoundingLevelGradients(trainer, () =>
        {
            using var gt = fx.SourceIo["distill.gt"].narrow(0, 0, Math.Min(microbatch, batch));
            using var lq = fx.SourceIo["distill.lq"].narrow(0, 0, Math.Min(microbatch, batch));
            return trainer.Compute(gt, lq, new ReplayNoise([noiseDraws[0]]), new ReplayTimesteps([tDraws[0]]));
        }));
        var output = Path.Combine(Path.GetTempPath(), "hfdiff-teacher-parity-" + Guid.NewGuid().ToString("N"));
        try
        {
            using var data = fx.Batch();
            using var loop = new TrainingLoop(trainer, LoopOptions(fx, output));
            var result = loop.Run(data, new TrainingRunHooks { Noise = noise, Timesteps = timesteps, OnIteration = parity.Check });
            Assert.AreEqual(noiseDraws.Count, noise.Count, "noise draws");
            Assert.AreEqual(tDraws.Count, timesteps.Count, "timestep draws");
            var f64 = Float64Run(fx, noiseDraws, tDraws);
            try { parity.CheckFinal(result, model, loop.Ema, () => fx.UNet("teacher", TrainerFixture.TeacherFile), f64); }
            finally { f64.Dispose(); }
        }
        finally
        {
            foreach (var t in start.Values) t.Dispose();
            try { Directory.Delete(output, true); } catch (IOException) { }
        }
    }

    /// <summary>The fixture's teacher loop settings (every value from config.json).</summary>
    static TrainingLoopOptions LoopOptions(TrainerFixture fx, string output)
    {
        var s = fx.Section("teacher");
        int iterations = s.GetProperty("iterations").GetInt32();
        return new TrainingLoopOptions
        {
            OutputFolder = output,
            LrSchedule = new ResShiftLrSchedule(s.GetProperty("lr").GetDouble(), s.GetProperty("warmup_iterations").GetInt64()),
            Iterations = iterations, Batch = s.GetProperty("batch").GetInt32(), Microbatch = s.GetProperty("microbatch").GetInt32(),
            EmaRate = s.GetProperty("ema_rate").GetDouble(), WeightDecay = s.GetProperty("weight_decay").GetDouble(),
            SaveFreq = iterations,
        };
    }

    /// <summary>The same loop with networks, batch and stored draws in float64.</summary>
    static Float64RunResult Float64Run(
        TrainerFixture fx, List<Tensor> noiseDraws, List<Tensor> tDraws)
    {
        using var model = fx.UNet("teacher", TrainerFixture.TeacherFile);
        using var vq = fx.Autoencoder();
        ModuleExtensionMethods.to(model, ScalarType.Float64);
        ModuleExtensionMethods.to(vq, ScalarType.Float64);
        var trainer = ResShiftTeacherTrainer.Create(model, vq, new ResShiftSchedule(fx.ScheduleOptions), new ResShiftTeacherTrainerOptions());
        return fx.RunFloat64(trainer, output => LoopOptions(fx, output), noiseDraws, tDraws);
    }
}
