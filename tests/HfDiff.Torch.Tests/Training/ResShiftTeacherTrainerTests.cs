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
            using var loop = new TrainingLoop(trainer, new TrainingLoopOptions
            {
                OutputFolder = output,
                LrSchedule = new ResShiftLrSchedule(s.GetProperty("lr").GetDouble(), s.GetProperty("warmup_iterations").GetInt64()),
                Iterations = iterations, Batch = batch, Microbatch = microbatch,
                EmaRate = s.GetProperty("ema_rate").GetDouble(), WeightDecay = s.GetProperty("weight_decay").GetDouble(),
                SaveFreq = iterations,
            });
            var result = loop.Run(data, new TrainingRunHooks { Noise = noise, Timesteps = timesteps, OnIteration = parity.Check });
            Assert.AreEqual(noiseDraws.Count, noise.Count, "noise draws");
            Assert.AreEqual(tDraws.Count, timesteps.Count, "timestep draws");
            var f64 = Float64Run(fx, iterations, batch, microbatch, noiseDraws, tDraws);
            try { parity.CheckFinal(result, model, loop.Ema, () => fx.UNet("teacher", TrainerFixture.TeacherFile), f64); }
            finally { foreach (var t in f64.Model.Values.Concat(f64.Ema.Values)) t.Dispose(); }
        }
        finally
        {
            foreach (var t in start.Values) t.Dispose();
            try { Directory.Delete(output, true); } catch (IOException) { }
        }
    }

    /// <summary>The same loop with networks, batch and stored draws in float64: our own precision reference for the final
    /// state dicts (see <see cref="TrainingCompare.StateDict"/>).</summary>
    static (IReadOnlyDictionary<string, Tensor> Model, IReadOnlyDictionary<string, Tensor> Ema) Float64Run(
        TrainerFixture fx, int iterations, int batch, int microbatch, List<Tensor> noiseDraws, List<Tensor> tDraws)
    {
        var s = fx.Section("teacher");
        using var model = fx.UNet("teacher", TrainerFixture.TeacherFile);
        using var vq = fx.Autoencoder();
        ModuleExtensionMethods.to(model, ScalarType.Float64);
        ModuleExtensionMethods.to(vq, ScalarType.Float64);
        var trainer = ResShiftTeacherTrainer.Create(model, vq, new ResShiftSchedule(fx.ScheduleOptions), new ResShiftTeacherTrainerOptions());
        var output = Path.Combine(Path.GetTempPath(), "hfdiff-teacher-f64-" + Guid.NewGuid().ToString("N"));
        try
        {
            using var gt = fx.SourceIo["distill.gt"].to_type(ScalarType.Float64);
            using var lq = fx.SourceIo["distill.lq"].to_type(ScalarType.Float64);
            using var data = new FixedBatchSource(gt, lq);
            using var loop = new TrainingLoop(trainer, new TrainingLoopOptions
            {
                OutputFolder = output,
                LrSchedule = new ResShiftLrSchedule(s.GetProperty("lr").GetDouble(), s.GetProperty("warmup_iterations").GetInt64()),
                Iterations = iterations, Batch = batch, Microbatch = microbatch,
                EmaRate = s.GetProperty("ema_rate").GetDouble(), WeightDecay = s.GetProperty("weight_decay").GetDouble(),
                SaveFreq = iterations,
            });
            loop.Run(data, new TrainingRunHooks
            {
                Noise = new ReplayNoise(noiseDraws.Select(n => n.to_type(ScalarType.Float64)).ToList()), Timesteps = new ReplayTimesteps(tDraws),
            });
            return (TrainingCompare.Clone(model.state_dict()), TrainingCompare.Clone(loop.Ema.State));
        }
        finally { try { Directory.Delete(output, true); } catch (IOException) { } }
    }
}
