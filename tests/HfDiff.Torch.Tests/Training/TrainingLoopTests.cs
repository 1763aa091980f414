using HfDiff.Torch.Imaging;
using HfDiff.Torch.Losses.Distillation;
using HfDiff.Torch.Schedules;
using HfDiff.Torch.Training;
using HfDiff.Torch.Training.Core;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace HfDiff.Torch.Tests.Training;

/// <summary>Behaviour of <see cref="TrainingLoop"/> with the two trainers on tiny random networks: exact resume, refused
/// resume, the non-finite guard and checkpoint files.</summary>
[TestClass]
public class TrainingLoopTests
{
    static int _threads;

    [ClassInitialize]
    public static void SingleThread(TestContext _) { _threads = torch.get_num_threads(); torch.set_num_threads(1); }

    [ClassCleanup]
    public static void RestoreThreads() => torch.set_num_threads(_threads);

    /// <summary>A tiny latent denoiser with the UNet's call shape and a persistent int64 <c>relative_position_index</c> buffer.</summary>
    sealed class TinyDenoiser : nn.Module
    {
        readonly Conv2d conv;
        readonly Parameter temb;
        readonly Tensor relative_position_index;

        public TinyDenoiser(int steps) : base(nameof(TinyDenoiser))
        {
            conv = nn.Conv2d(6, 3, 3, padding: 1);
            temb = nn.Parameter(randn(steps) * 0.1);
            relative_position_index = arange(4, dtype: ScalarType.Int64);
            register_buffer("relative_position_index", relative_position_index, persistent: true);
            RegisterComponents();
        }

        public Tensor Forward(Tensor x, Tensor t, Tensor lq)
        {
            using var scope = NewDisposeScope();
            var e = temb.index_select(0, t).view(-1, 1, 1, 1);
            return (conv.call(cat([x, lq], 1)) + x * 0.5 + e).MoveToOuterDisposeScope();
        }
    }

    /// <summary>Encoder stand-in: 4×4 average pooling (latent = image / 4, three channels).</summary>
    static Tensor Encode(Tensor image) => nn.functional.avg_pool2d(image, 4);

    /// <summary>Deterministic batches by position: gt random in [−1, 1] (32×32), lq = its 4× average pool.</summary>
    sealed class SyntheticBatches(int batch, long seed) : ITrainingBatchSource
    {
        public long Position { get; private set; }
        public (Tensor Gt, Tensor Lq) Next()
        {
            using var g = new Generator((ulong)(seed * 100_003 + Position++));
            var gt = tanh(randn([batch, 3, 32, 32], generator: g));
            return (gt, nn.functional.avg_pool2d(gt, 4));
        }
        public void Restore(long position) => Position = position;
    }

    static readonly ResShiftScheduleOptions Diffusion = new() { Steps = 4 };

    /// <summary>Builds a trainer of the given kind on fresh tiny networks with fixed initial weights.</summary>
    sealed class Setup : IDisposable
    {
        public readonly TinyDenoiser Model, Teacher;
        public readonly ITrainingObjective Objective;

        public Setup(string kind, IReadOnlyList<DistillationExtraTerm>? extra = null)
        {
            var schedule = new ResShiftSchedule(Diffusion);
            manual_seed(7);
            Model = new TinyDenoiser(schedule.NumTimesteps);
            Teacher = new TinyDenoiser(schedule.NumTimesteps);
            foreach (var p in Teacher.parameters()) p.requires_grad = false;
            var teacher = Teacher;
            Objective = kind == "student"
                ? new SinSrStudentTrainer(Model, Model.Forward, (x, t, lq) => { using var _ = no_grad(); return teacher.Forward(x, t, lq); }, Encode, schedule,
                                          new SinSrStudentTrainerOptions { ExtraTerms = extra ?? [] }, [Teacher])
                : new ResShiftTeacherTrainer(Model, Model.Forward, Encode, schedule);
        }

        public void Dispose() { Model.Dispose(); Teacher.Dispose(); }
    }

    static TrainingLoopOptions Options(string dir, long iterations = 7) => new()
    {
        OutputFolder = dir, LrSchedule = new SinSrLrSchedule(1e-2, [2, 5]), Iterations = iterations, Batch = 3, Microbatch = 2,
        EmaRate = 0.9, WeightDecay = 0.01, SaveFreq = 2, KeepCheckpoints = 2, Seed = 11,
    };

    static string TempDir() => Path.Combine(Path.GetTempPath(), "hfdiff-train-" + Guid.NewGuid().ToString("N"));
    static void DeleteDir(string dir) { try { Directory.Delete(dir, true); } catch (IOException) { } }

    static Dictionary<string, Tensor> Snapshot(IReadOnlyDictionary<string, Tensor> sd) => TrainingCompare.Clone(sd);

    static void AssertBitIdentical(IReadOnlyDictionary<string, Tensor> expected, IReadOnlyDictionary<string, Tensor> actual, string what)
    {
        CollectionAssert.AreEquivalent(expected.Keys.ToList(), actual.Keys.ToList(), what);
        foreach (var (k, v) in expected)
            Assert.IsTrue(TrainingCompare.ExactlyEqual(v, actual[k]), $"{what}: '{k}' differs");
    }

    [TestMethod]
    [DataRow("teacher")]
    [DataRow("student")]
    public void Run_StoppedAtRandomIterationAndResumed_BitIdenticalToUninterrupted(string kind)
    {
        var full = TempDir();
        var split = TempDir();
        try
        {
            Dictionary<string, Tensor> fullModel, fullEma;
            using (var s = new Setup(kind))
            using (var loop = new TrainingLoop(s.Objective, Options(full)))
            {
                var r = loop.Run(new SyntheticBatches(3, 5));
                Assert.IsTrue(r.Completed);
                fullModel = Snapshot(s.Model.state_dict());
                fullEma = Snapshot(loop.Ema.State);
            }

            int stopAt = new Random().Next(1, 7);   // 1..6 of 7
            Console.WriteLine($"{kind}: stopped after iteration {stopAt}, resumed from the checkpoint at {stopAt / 2 * 2}");
            using (var cts = new CancellationTokenSource())
            using (var s = new Setup(kind))
            using (var loop = new TrainingLoop(s.Objective, Options(split)))
            {
                var r = loop.Run(new SyntheticBatches(3, 5), new TrainingRunHooks
                {
                    Cancellation = cts.Token, OnIteration = rep => { if (rep.Iteration == stopAt) cts.Cancel(); },
                });
                Assert.IsFalse(r.Completed);
                Assert.AreEqual(stopAt, r.Iterations);
            }
            using (var s = new Setup(kind))
            using (var loop = new TrainingLoop(s.Objective, Options(split) with { Resume = true }))
            {
                var r = loop.Run(new SyntheticBatches(3, 5));
                Assert.IsTrue(r.Completed);
                Assert.AreEqual(stopAt / 2 * 2 == 0 ? null : stopAt / 2 * 2, r.ResumedFromIteration);
                AssertBitIdentical(fullModel, s.Model.state_dict(), "model");
                AssertBitIdentical(fullEma, loop.Ema.State, "EMA");
            }
            var rows = File.ReadAllLines(Path.Combine(split, TrainingLoop.LogFileName)).Skip(1).Select(l => l.Split(',')[0]).ToList();
            CollectionAssert.AreEqual(Enumerable.Range(1, 7).Select(i => i.ToString()).ToList(), rows, "CSV log: each iteration once");
            foreach (var t in fullModel.Values.Concat(fullEma.Values)) t.Dispose();
        }
        finally { DeleteDir(full); DeleteDir(split); }
    }

    [TestMethod]
    public void Run_ResumeWithChangedSettings_RefusedNamingTheKeys()
    {
        var dir = TempDir();
        try
        {
            using (var s = new Setup("teacher"))
            using (var loop = new TrainingLoop(s.Objective, Options(dir, iterations: 2)))
                loop.Run(new SyntheticBatches(3, 5));

            using (var s = new Setup("teacher"))
            using (var loop = new TrainingLoop(s.Objective, Options(dir, iterations: 4)))
            {
                var e = Assert.ThrowsExactly<TrainingResumeException>(() => loop.Run(new SyntheticBatches(3, 5)));
                StringAssert.Contains(e.Message, "Resume");
            }
            using (var s = new Setup("teacher"))
            using (var loop = new TrainingLoop(s.Objective, Options(dir, iterations: 4) with { Resume = true, EmaRate = 0.99, LrSchedule = new SinSrLrSchedule(2e-2, [2, 5]) }))
            {
                var e = Assert.ThrowsExactly<TrainingResumeException>(() => loop.Run(new SyntheticBatches(3, 5)));
                Console.WriteLine(e.Message);
                StringAssert.Contains(e.Message, "ema_rate: checkpoint 0.9, now 0.99");
                StringAssert.Contains(e.Message, "lr_schedule");
                Assert.IsFalse(e.Message.Contains("batch:", StringComparison.Ordinal), "unchanged keys are not listed");
            }
            // More iterations with the same settings is allowed.
            using (var s = new Setup("teacher"))
            using (var loop = new TrainingLoop(s.Objective, Options(dir, iterations: 4) with { Resume = true }))
                Assert.AreEqual(2L, loop.Run(new SyntheticBatches(3, 5)).ResumedFromIteration);
        }
        finally { DeleteDir(dir); }
    }

    [TestMethod]
    public void Run_NonFiniteLossOrGradient_SkipsStepsThenStopsWithLastCheckpointIntact()
    {
        var dir = TempDir();
        try
        {
            long iteration = 1;   // the iteration being computed (the extra term reads it)
            // Iteration 2: NaN loss; 4: finite loss (0) with a NaN gradient (d sqrt(x)/dx at 0); 5: NaN loss again.
            var boom = new DistillationExtraTerm("boom", 1.0, r => iteration switch
            {
                2 or 5 => r.PredZStart.sum() * double.NaN,
                4 => (r.PredZStart * 0).abs().sqrt().sum(),
                _ => r.PredZStart.sum() * 0,
            });
            using var s = new Setup("student", [boom]);
            using var loop = new TrainingLoop(s.Objective, Options(dir, iterations: 8) with { SaveFreq = 1, KeepCheckpoints = 3, MaxConsecutiveNonFinite = 2 });
            var reports = new List<TrainingIterationReport>();
            Dictionary<string, Tensor>? before = null;
            var e = Assert.ThrowsExactly<TrainingDivergedException>(() => loop.Run(new SyntheticBatches(3, 5), new TrainingRunHooks
            {
                OnIteration = r =>
                {
                    reports.Add(r);
                    if (r.Iteration == 1) before = Snapshot(s.Model.state_dict());
                    if (r.Iteration == 2) AssertBitIdentical(before!, s.Model.state_dict(), "weights after the skipped iteration 2");
                    iteration = r.Iteration + 1;
                },
            }));
            Console.WriteLine(e.Message);
            Assert.AreEqual(5L, e.Iteration);
            CollectionAssert.AreEqual(new[] { false, true, false, true }, reports.Select(r => r.Skipped).ToArray());
            StringAssert.Contains(reports[1].SkipReason, "loss");
            StringAssert.Contains(reports[3].SkipReason, "gradient");
            StringAssert.Contains(e.Message, "2 consecutive");
            Assert.AreEqual(TrainingCheckpoint.PathFor(Path.Combine(dir, TrainingLoop.CheckpointFolderName), 4), e.LastCheckpoint);
            var state = TrainingCheckpoint.ReadState(e.LastCheckpoint!);
            Assert.AreEqual(4L, state.Iteration);
            Assert.AreEqual(2L, state.SkippedIterations);
            var csv = File.ReadAllLines(Path.Combine(dir, TrainingLoop.LogFileName));
            Assert.AreEqual(6, csv.Length, "header + 5 rows");
            Assert.IsTrue(csv[0].EndsWith("boom,total,grad_norm,skipped,seconds", StringComparison.Ordinal), csv[0]);
            foreach (var t in before!.Values) t.Dispose();
        }
        finally { DeleteDir(dir); }
    }

    [TestMethod]
    public void Run_Checkpoints_AtomicFilesOnlyAndTempFilesIgnored()
    {
        var dir = TempDir();
        try
        {
            using (var s = new Setup("teacher"))
            using (var loop = new TrainingLoop(s.Objective, Options(dir, iterations: 5) with { SaveFreq = 1, KeepCheckpoints = 2 }))
                loop.Run(new SyntheticBatches(3, 5));
            var ckptDir = Path.Combine(dir, TrainingLoop.CheckpointFolderName);
            var files = Directory.GetFiles(dir, "*", SearchOption.AllDirectories).Select(Path.GetFileName).Order().ToList();
            Console.WriteLine(string.Join(", ", files));
            Assert.IsFalse(files.Any(f => f!.EndsWith(".tmp", StringComparison.Ordinal)), "no temp file left");
            CollectionAssert.AreEqual(new[] { "checkpoint_iter000000004.ckpt", "checkpoint_iter000000005.ckpt" },
                                      TrainingCheckpoint.List(ckptDir).Select(Path.GetFileName).Order().ToArray());

            // A partial write (what a kill leaves: a temp file) is never taken for a checkpoint.
            File.WriteAllBytes(Path.Combine(ckptDir, ".checkpoint_iter000000009.ckpt.123.abc.tmp"), [1, 2, 3]);
            Assert.AreEqual(2, TrainingCheckpoint.List(ckptDir).Count);
            // A failing writer leaves neither a partial checkpoint nor a temp file.
            var target = TrainingCheckpoint.PathFor(ckptDir, 6);
            Assert.ThrowsExactly<IOException>(() => AtomicFile.Write(target, st => { st.Write(new byte[100]); throw new IOException("disk full"); }));
            Assert.IsFalse(File.Exists(target));
            Assert.AreEqual(1, Directory.GetFiles(ckptDir, "*.tmp").Length, "only the planted temp file");

            using (var s = new Setup("teacher"))
            using (var loop = new TrainingLoop(s.Objective, Options(dir, iterations: 6) with { SaveFreq = 1, Resume = true }))
                Assert.AreEqual(5L, loop.Run(new SyntheticBatches(3, 5)).ResumedFromIteration);
        }
        finally { DeleteDir(dir); }
    }

    [TestMethod]
    public void Run_MaxGradNorm_ClipsTheGradientBeforeAdam()
    {
        // AdamW is invariant to the gradient's scale except through eps (1e-8): clipped to 1e-12 the step is ~lr·1e-4.
        double Moved(double? maxGradNorm)
        {
            var dir = TempDir();
            try
            {
                using var s = new Setup("teacher");
                var before = Snapshot(s.Model.state_dict());
                using var loop = new TrainingLoop(s.Objective, Options(dir, iterations: 1) with { MaxGradNorm = maxGradNorm, WeightDecay = 0 });
                double reported = 0;
                loop.Run(new SyntheticBatches(3, 5), new TrainingRunHooks { OnIteration = r => reported = r.GradNorm });
                Assert.IsTrue(reported > 1e-6, $"the reported norm is the one before clipping ({reported})");
                double moved = before.Max(kv => kv.Value.is_floating_point() ? (s.Model.state_dict()[kv.Key] - kv.Value).abs().max().item<float>() : 0);
                foreach (var t in before.Values) t.Dispose();
                return moved;
            }
            finally { DeleteDir(dir); }
        }
        double free = Moved(null), clipped = Moved(1e-12);
        Console.WriteLine($"max |Δw| after one step: unclipped {free:E2}, clipped to 1e-12 {clipped:E2}");
        Assert.IsTrue(free > 1e-3, $"unclipped step {free}");
        Assert.IsTrue(clipped < 1e-5, $"clipped step {clipped}");
    }
}
