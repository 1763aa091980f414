using HfDiff.Torch.Archs.HfDiff;
using HfDiff.Torch.Data.Classification;
using HfDiff.Torch.Tests.Data;
using HfDiff.Torch.Training;
using HfDiff.Torch.Training.InnPretraining;
using TorchSharp;

namespace HfDiff.Torch.Tests.Training;

[TestClass]
public class InnPretrainerTests
{
    public TestContext TestContext { get; set; } = null!;

    static int _threads;

    // On a loaded 2-core machine libtorch's two spinning intra-op threads made a tiny training step ~15× slower
    // (550 ms vs 40 ms measured); one thread keeps the class fast. Restored afterwards; library code never sets it.
    [ClassInitialize]
    public static void SingleThread(TestContext _) { _threads = torch.get_num_threads(); torch.set_num_threads(1); }

    [ClassCleanup]
    public static void RestoreThreads() => torch.set_num_threads(_threads);

    /// <summary>Collects reports synchronously (Progress&lt;T&gt; would post them to the thread pool) and can stop the run.</summary>
    sealed class Recorder(Action<InnPretrainingProgress>? onReport = null) : IProgress<InnPretrainingProgress>
    {
        public List<InnPretrainingProgress> Reports { get; } = [];
        public void Report(InnPretrainingProgress value) { Reports.Add(value); onReport?.Invoke(value); }
        public List<InnPretrainingProgress> Steps => Reports.Where(r => r.Stage == InnPretrainingStage.Step).ToList();
    }

    static readonly HfDiffInnFeatureExtractorOptions Tiny = new() { Channels = 8, NumNodes = 1, StemDepth = 1, NumClasses = 2 };

    static InnPretrainingOptions Options(SyntheticClassFolders data, string output) => new()
    {
        TrainFolder = data.Train,
        ValFolder = data.Val,
        OutputFolder = output,
        Extractor = Tiny,
        Transform = new ClassificationTransformOptions { CropSize = 32 },
        BatchSize = 8,
        LearningRate = 3e-3,
        LrDecayEvery = 20,
        Epochs = 2,
        Seed = 3,
        CheckpointEvery = 0,
        DataWorkers = 1,
        PrefetchBatches = 2,
    };

    static string TempOutput() => Path.Combine(Path.GetTempPath(), "hfdiff-innpt-" + Guid.NewGuid().ToString("N"));

    static void DeleteDir(string dir) { try { Directory.Delete(dir, true); } catch (IOException) { } }

    [TestMethod]
    public void Train_TinySyntheticFolders_LossDecreasesAndTop1BeatsChance()
    {
        using var data = new SyntheticClassFolders(trainPerClass: 24, valPerClass: 20);
        var output = TempOutput();
        try
        {
            var options = Options(data, output) with { Epochs = 20 };
            using var trainer = new InnPretrainer(options);
            var recorder = new Recorder();
            var result = trainer.Train(recorder);
            var steps = recorder.Steps;
            double first = steps.Take(6).Average(s => s.Loss), last = steps.TakeLast(6).Average(s => s.Loss);
            var top1 = result.Validation.Select(v => v.Top1).ToArray();
            TestContext.WriteLine($"iterations {result.Iterations}, skipped non-finite steps {result.SkippedSteps}, loss first epoch {first:F4}, last epoch {last:F4}, val top-1 per epoch [{string.Join(", ", top1.Select(t => t.ToString("F3")))}], ips {steps[^1].ImagesPerSecond:F0}");
            // Measured (seeds 3, 5; lr 3e-3): first-epoch loss ≈ 0.73, last ≈ 0.02; final top-1 0.97–1.00 (0.90 with lr 5e-3).
            Assert.AreEqual(120, result.Iterations);
            Assert.IsTrue(result.Completed);
            Assert.AreEqual(20, result.Validation.Count);
            Assert.IsTrue(last < 0.6 * first, $"loss did not decrease enough: {first} → {last}");
            Assert.IsTrue(top1[^1] >= 0.8, $"final top-1 {top1[^1]} (chance 0.5)");
            Assert.AreEqual(40, result.Validation[^1].Images);
            // Progress carries the schedule: lr 3e-3 × 0.95^⌊i/20⌋.
            Assert.AreEqual(3e-3, steps[0].LearningRate, 1e-12);
            Assert.AreEqual(3e-3 * 0.95, steps[20].LearningRate, 1e-12);
            Assert.AreEqual(3e-3 * Math.Pow(0.95, 5), steps[119].LearningRate, 1e-12);
            Assert.IsTrue(steps.All(s => s.ImagesPerSecond > 0 && s.Epochs == 20 && s.TotalIterations == 120));
            // Final weights are readable by the extractor and equal the trained model.
            using var loaded = new HfDiffInnFeatureExtractor(Tiny);
            loaded.LoadWeights(result.WeightsPath);
            foreach (var (name, p) in trainer.Model.state_dict())
                Assert.IsTrue(p.allclose(loaded.state_dict()[name], 0, 0), name);
        }
        finally { DeleteDir(output); }
    }

    [TestMethod]
    public void Train_KilledAfterCheckpointThenResumed_EqualsUninterruptedRun()
    {
        using var data = new SyntheticClassFolders(trainPerClass: 12, valPerClass: 4);
        var interrupted = TempOutput();
        var straight = TempOutput();
        try
        {
            // 24 images / batch 8 = 3 batches per epoch, 2 epochs = 6 iterations. Checkpoint every 4 (mid epoch 2), kill at 5.
            var options = Options(data, interrupted) with { CheckpointEvery = 4 };
            using (var cts = new CancellationTokenSource())
            {
                using var first = new InnPretrainer(options) { CheckpointOnCancel = false };
                var recorder = new Recorder(r => { if (r.Stage == InnPretrainingStage.Step && r.Iteration == 5) cts.Cancel(); });
                Assert.ThrowsExactly<OperationCanceledException>(() => first.Train(recorder, cts.Token));
            }
            var latest = InnPretrainingCheckpoint.List(interrupted)[0];
            var state = InnPretrainingCheckpoint.ReadState(latest);
            Assert.AreEqual((4L, 1, 1), (state.Iteration, state.Epoch, state.NextBatch));
            Assert.AreEqual(1, state.Validation.Count);
            Assert.IsFalse(File.Exists(Path.Combine(interrupted, options.WeightsFileName)));

            InnPretrainingResult resumed;
            InnPretrainingProgress firstStep;
            using (var second = new InnPretrainer(options))
            {
                var recorder = new Recorder();
                resumed = second.Train(recorder);
                Assert.AreEqual(InnPretrainingStage.Resumed, recorder.Reports[0].Stage);
                firstStep = recorder.Steps[0];
            }
            Assert.AreEqual(4L, resumed.ResumedFromIteration);
            Assert.AreEqual(5L, firstStep.Iteration);
            Assert.AreEqual(6L, resumed.Iterations);
            Assert.AreEqual(2, resumed.Validation.Count);

            InnPretrainingResult reference;
            using (var once = new InnPretrainer(options with { OutputFolder = straight }))
                reference = once.Train();
            Assert.IsNull(reference.ResumedFromIteration);

            using var a = new HfDiffInnFeatureExtractor(Tiny);
            using var b = new HfDiffInnFeatureExtractor(Tiny);
            a.LoadWeights(resumed.WeightsPath);
            b.LoadWeights(reference.WeightsPath);
            double maxDiff = 0;
            foreach (var (name, p) in a.state_dict())
                maxDiff = Math.Max(maxDiff, (p - b.state_dict()[name]).abs().max().item<float>());
            TestContext.WriteLine($"max |resumed - uninterrupted| over all weights: {maxDiff:E3}; val top-1 {resumed.Validation[^1].Top1} vs {reference.Validation[^1].Top1}");
            Assert.AreEqual(0.0, maxDiff, "resumed weights must equal the uninterrupted run exactly (optimizer state is restored)");
            Assert.AreEqual(reference.Validation[^1].Top1, resumed.Validation[^1].Top1);
        }
        finally { DeleteDir(interrupted); DeleteDir(straight); }
    }

    [TestMethod]
    public void Train_CancelledWithCheckpointOnCancel_CheckpointsWhereItStoppedAndResumesBitIdentically()
    {
        using var data = new SyntheticClassFolders(trainPerClass: 12, valPerClass: 4);
        var interrupted = TempOutput();
        var straight = TempOutput();
        try
        {
            // 3 batches per epoch, 2 epochs; no periodic checkpoints, cancelled after iteration 2 (mid epoch 1).
            var options = Options(data, interrupted);
            using (var cts = new CancellationTokenSource())
            {
                using var first = new InnPretrainer(options);
                var recorder = new Recorder(r => { if (r.Stage == InnPretrainingStage.Step && r.Iteration == 2) cts.Cancel(); });
                Assert.ThrowsExactly<OperationCanceledException>(() => first.Train(recorder, cts.Token));
                var last = recorder.Reports[^1];
                Assert.AreEqual((InnPretrainingStage.CheckpointSaved, 2L), (last.Stage, last.Iteration), "the cancel checkpoint is reported");
                Assert.AreEqual(InnPretrainingCheckpoint.PathFor(interrupted, 2), last.CheckpointPath);
            }
            var state = InnPretrainingCheckpoint.ReadState(InnPretrainingCheckpoint.List(interrupted)[0]);
            Assert.AreEqual((2L, 0, 2), (state.Iteration, state.Epoch, state.NextBatch));
            Assert.AreEqual(0, state.Validation.Count);

            InnPretrainingResult resumed, reference;
            using (var second = new InnPretrainer(options)) resumed = second.Train();
            using (var once = new InnPretrainer(options with { OutputFolder = straight })) reference = once.Train();
            Assert.AreEqual(2L, resumed.ResumedFromIteration);
            Assert.AreEqual((6L, 2), (resumed.Iterations, resumed.Validation.Count));
            using var a = new HfDiffInnFeatureExtractor(Tiny);
            using var b = new HfDiffInnFeatureExtractor(Tiny);
            a.LoadWeights(resumed.WeightsPath);
            b.LoadWeights(reference.WeightsPath);
            foreach (var (name, p) in a.state_dict())
                Assert.IsTrue(p.allclose(b.state_dict()[name], 0, 0), $"{name} differs from the uninterrupted run");
            CollectionAssert.AreEqual(reference.Validation.ToArray(), resumed.Validation.ToArray());
            // The core's CSV log: one row per iteration, the redone ones not duplicated.
            var log = File.ReadAllLines(Path.Combine(interrupted, HfDiff.Torch.Training.Core.TrainingLoop.LogFileName));
            StringAssert.StartsWith(log[0], "iteration,lr,loss,");
            CollectionAssert.AreEqual(new[] { "1", "2", "3", "4", "5", "6" }, log.Skip(1).Select(l => l.Split(',')[0]).ToArray());
        }
        finally { DeleteDir(interrupted); DeleteDir(straight); }
    }

    [TestMethod]
    public void Train_OutputFolderWithOldFormatCheckpoint_RefusedWithClearMessage()
    {
        using var data = new SyntheticClassFolders(trainPerClass: 2, valPerClass: 1);
        var output = TempOutput();
        try
        {
            Directory.CreateDirectory(output);
            File.WriteAllText(Path.Combine(output, "checkpoint_iter000000004.ckpt"), "an hfdiff-inn-pretraining/1 checkpoint");
            using var trainer = new InnPretrainer(Options(data, output) with { Epochs = 1, ValFolder = null });
            var e = Assert.ThrowsExactly<HfDiff.Torch.Training.Core.TrainingResumeException>(() => trainer.Train());
            StringAssert.Contains(e.Message, "earlier INN pretraining format");
            StringAssert.Contains(e.Message, "checkpoint_iter000000004.ckpt");
        }
        finally { DeleteDir(output); }
    }

    [TestMethod]
    public void Train_CorruptImagesInTrainAndVal_SkippedCountedAndRunCompletes()
    {
        using var data = new SyntheticClassFolders(trainPerClass: 4, valPerClass: 2);
        var badTrain = data.AddCorruptFile("train", "solid");
        var badVal = data.AddCorruptFile("val", "striped", "broken.jpg");
        var output = TempOutput();
        try
        {
            using var trainer = new InnPretrainer(Options(data, output) with { Epochs = 2, MaxIterations = 3 });
            var recorder = new Recorder();
            var result = trainer.Train(recorder);
            Assert.AreEqual(3, result.Iterations);
            Assert.IsFalse(result.Completed);
            CollectionAssert.AreEquivalent(new[] { badTrain, badVal }, result.Skipped.Select(s => s.Path).ToArray());
            Assert.AreEqual(2, recorder.Reports[^1].SkippedImages);
            Assert.AreEqual(4, result.Validation.Single().Images);
            Assert.IsTrue(File.Exists(result.WeightsPath));
        }
        finally { DeleteDir(output); }
    }

    [TestMethod]
    public void Train_LossTurnsNonFinite_StepsSkippedThenRunStopsWithClearError()
    {
        // A learning rate of 1e30 makes the first Adam step blow the weights up; every later loss is Inf/NaN. Those steps
        // must be skipped (never reaching Adam's moments), counted, and five in a row must stop the run.
        using var data = new SyntheticClassFolders(trainPerClass: 8, valPerClass: 1);
        var output = TempOutput();
        try
        {
            using var trainer = new InnPretrainer(Options(data, output) with { LearningRate = 1e30, Epochs = 3, ValFolder = null });
            var recorder = new Recorder();
            var e = Assert.ThrowsExactly<HfDiff.Torch.Training.Core.TrainingDivergedException>(() => trainer.Train(recorder));
            TestContext.WriteLine(e.Message);
            StringAssert.Contains(e.Message, "5 consecutive iterations"); // the core loop's guard: five skipped steps in a row
            var steps = recorder.Steps;
            Assert.IsTrue(double.IsFinite(steps[0].Loss), "the first step is a normal one");
            Assert.AreEqual(0L, steps[0].SkippedSteps);
            Assert.AreEqual(4L, steps[^1].SkippedSteps, "the 5th skip throws before it is reported");
            Assert.IsTrue(steps.Skip(steps.Count - 4).All(s => !double.IsFinite(s.Loss)));
        }
        finally { DeleteDir(output); }
    }

    [TestMethod]
    public void Train_ResumeWithDifferentSeed_ThrowsNamingSetting()
    {
        using var data = new SyntheticClassFolders(trainPerClass: 2, valPerClass: 1);
        var output = TempOutput();
        try
        {
            var options = Options(data, output) with { Epochs = 1, ValFolder = null };
            using (var t = new InnPretrainer(options)) t.Train();
            using var other = new InnPretrainer(options with { Seed = 4 });
            var e = Assert.ThrowsExactly<HfDiff.Torch.Training.Core.TrainingResumeException>(() => other.Train());
            StringAssert.Contains(e.Message, "Seed: checkpoint 3, now 4");
            // A finished run started again does nothing but rewrite the weights.
            using var again = new InnPretrainer(options with { DataWorkers = 2 });
            var result = again.Train();
            Assert.IsTrue(result.Completed);
            Assert.AreEqual(result.Iterations, result.ResumedFromIteration);
        }
        finally { DeleteDir(output); }
    }

    [TestMethod]
    public void Ctor_InvalidOptions_ThrowNamingParameterValueAndRange()
    {
        using var data = new SyntheticClassFolders(trainPerClass: 1, valPerClass: 1, size: 8);
        var ok = Options(data, TempOutput());
        var e = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => new InnPretrainer(ok with { LearningRate = 0 }));
        Assert.AreEqual("LearningRate", e.ParamName);
        StringAssert.Contains(e.Message, "must be > 0; got 0");
        e = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => new InnPretrainer(ok with { LrDecayGamma = 1.5 }));
        StringAssert.Contains(e.Message, "LrDecayGamma must be in (0, 1]; got 1.5");
        e = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => new InnPretrainer(ok with { BatchSize = 0 }));
        Assert.AreEqual("BatchSize", e.ParamName);
        var a = Assert.ThrowsExactly<ArgumentException>(() => new InnPretrainer(ok with { Extractor = Tiny with { NumClasses = 1000 } }));
        StringAssert.Contains(a.Message, "NumClasses is 1000 but the training folder");
        a = Assert.ThrowsExactly<ArgumentException>(() => new InnPretrainer(ok with { TrainFolder = "" }));
        Assert.AreEqual("TrainFolder", a.ParamName);
        a = Assert.ThrowsExactly<ArgumentException>(() => new InnPretrainer(ok with { WeightsFileName = "w.pth" }));
        Assert.AreEqual("WeightsFileName", a.ParamName);
        // Defaults are the paper's settings.
        var paper = new InnPretrainingOptions();
        Assert.AreEqual((5e-4, 32, 0.95, 5000, 20, 224), (paper.LearningRate, paper.BatchSize, paper.LrDecayGamma, paper.LrDecayEvery, paper.Epochs, paper.Transform.CropSize));
        Assert.AreEqual(5e-4 * 0.95 * 0.95, paper.LearningRateAt(10_000), 1e-15);
        Assert.AreEqual(5e-4, paper.LearningRateAt(4_999), 1e-15);
    }
}
