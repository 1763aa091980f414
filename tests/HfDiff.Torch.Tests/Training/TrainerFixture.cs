using System.Text.Json;
using HfDiff.Tests.Common;
using HfDiff.Torch.Archs.ResShift;
using HfDiff.Torch.Schedules;
using HfDiff.Torch.Tests.Samplers;
using HfDiff.Torch.Training.Core;
using HfDiff.Torch.Weights;
using static TorchSharp.torch;

namespace HfDiff.Torch.Tests.Training;

/// <summary>
/// fixtures/trainer (config.json + io.safetensors + final state dicts) with the networks and the batch of the
/// resshift fixture it names. Every setting, shape and tensor name comes from the fixture files.
/// </summary>
sealed class TrainerFixture : IDisposable
{
    public TrainerFixture()
    {
        Dir = TestPaths.Fixture("trainer");
        Config = TestPaths.ReadConfig(Dir);
        Io = new FixtureTensors(Path.Combine(Dir, "io.safetensors"));
        SourceDir = TestPaths.Fixture("resshift");
        SourceIo = new FixtureTensors(Path.Combine(SourceDir, "io.safetensors"));
        ScheduleOptions = ResShiftFixture.ScheduleOptionsFrom(Config.GetProperty("diffusion"));
        TrackedKeys = Config.GetProperty("tracked_keys").EnumerateArray().Select(e => e.GetString()!).ToList();
        // README: "resshift_unet_A.pth (teacher; also the teacher-training start), sinsr_unet_B.pth (student start), autoencoder_vq_f4.pth".
        var source = Config.GetProperty("source_fixture").GetString()!;
        foreach (var f in new[] { TeacherFile, StudentFile, AutoencoderFile })
            Assert.IsTrue(source.Contains(f, StringComparison.Ordinal), $"config.json source_fixture does not name {f}: {source}");
    }

    public const string TeacherFile = "resshift_unet_A.pth", StudentFile = "sinsr_unet_B.pth", AutoencoderFile = "autoencoder_vq_f4.pth";

    public string Dir { get; }
    public string SourceDir { get; }
    public JsonElement Config { get; }
    public FixtureTensors Io { get; }
    public FixtureTensors SourceIo { get; }
    public ResShiftScheduleOptions ScheduleOptions { get; }
    public IReadOnlyList<string> TrackedKeys { get; }

    public JsonElement Section(string name) => Config.GetProperty(name);

    public UNetModelSwin UNet(string role, string file)
    {
        var model = new UNetModelSwin(UNetModelSwinOptions.FromJson(Config.GetProperty("unet_kwargs").GetProperty(role)));
        Checkpoint.LoadInto(model, Path.Combine(SourceDir, file), strict: true);
        return model;
    }

    public VQModelTorch Autoencoder()
    {
        var vq = new VQModelTorch(VQModelOptions.FromJson(Config.GetProperty("autoencoder_kwargs")));
        Checkpoint.LoadInto(vq, Path.Combine(SourceDir, AutoencoderFile), strict: true);
        return vq;
    }

    public FixedBatchSource Batch() => new(SourceIo["distill.gt"], SourceIo["distill.lq"]);

    /// <summary>
    /// Runs <paramref name="trainer"/> (its networks already converted to float64) for the fixture's batch and the stored
    /// draws cast to float64, in a temp folder; returns the final model and EMA state dicts (our own precision
    /// reference for the final-state checks, see <see cref="TrainerParity.CheckFinal"/>) and, per parameter, the elements
    /// whose gradient at some optimizer step was below <see cref="NearZeroGradient"/> × that step's global gradient RMS.
    /// </summary>
    public Float64RunResult RunFloat64(
        ITrainingObjective trainer, Func<string, TrainingLoopOptions> loopOptions, IReadOnlyList<Tensor> noise, IReadOnlyList<Tensor>? timesteps = null)
    {
        var output = Path.Combine(Path.GetTempPath(), "hfdiff-trainer-f64-" + Guid.NewGuid().ToString("N"));
        var smallest = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        try
        {
            using var gt = SourceIo["distill.gt"].to_type(ScalarType.Float64);
            using var lq = SourceIo["distill.lq"].to_type(ScalarType.Float64);
            using var data = new FixedBatchSource(gt, lq);
            using var loop = new TrainingLoop(trainer, loopOptions(output));
            loop.Run(data, new TrainingRunHooks
            {
                Noise = new ReplayNoise(noise.Select(n => n.to_type(ScalarType.Float64)).ToList()),
                Timesteps = timesteps is null ? null : new ReplayTimesteps(timesteps.ToList()),
                BeforeStep = model => TrackSmallestGradients(model, smallest),
            });
            var nearZero = smallest.ToDictionary(kv => kv.Key, kv => kv.Value.lt(NearZeroGradient), StringComparer.Ordinal);
            return new Float64RunResult(TrainingCompare.Clone(trainer.Model.state_dict()), TrainingCompare.Clone(loop.Ema.State), nearZero);
        }
        finally
        {
            foreach (var t in smallest.Values) t.Dispose();
            try { Directory.Delete(output, true); } catch (IOException) { }
        }
    }

    /// <summary>
    /// Below this fraction of the global gradient RMS at any step, an element's Adam step (≈ lr·m/√v) takes its size and
    /// sign from float rounding in a float32 run, the reference's included. Measured with the official code on held-out
    /// trainer sets (teacher, other seeds and settings): its float64 run against its own float32 run differed by 1.3e-3 /
    /// 1.1e-2 (overall / worst tensor update rel L2); with the elements below 1e-4 set aside (1.2% of them), by 3.7e-4 /
    /// 6.6e-3, while our float64 run and the official float64 run agree to 1e-6.
    /// </summary>
    public const double NearZeroGradient = 1e-4;

    /// <summary>Per parameter, the running minimum over steps of |gradient| / global gradient RMS (float64).</summary>
    static void TrackSmallestGradients(nn.Module model, Dictionary<string, Tensor> smallest)
    {
        using var scope = NewDisposeScope();
        var grads = model.named_parameters().Where(p => p.parameter.grad is not null)
            .Select(p => (p.name, g: p.parameter.grad!.detach().to_type(ScalarType.Float64))).ToList();
        double sq = grads.Sum(p => p.g.square().sum().item<double>());
        long n = grads.Sum(p => p.g.numel());
        double rms = Math.Sqrt(sq / n);
        foreach (var (name, g) in grads)
        {
            var rel = g.abs() / rms;
            var next = smallest.TryGetValue(name, out var old) ? minimum(old, rel) : rel;
            old?.Dispose();
            smallest[name] = next.DetachFromDisposeScope();
        }
    }

    public static List<long> Longs(JsonElement e) => e.EnumerateArray().Select(x => x.GetInt64()).ToList();

    public void Dispose()
    {
        Io.Dispose();
        SourceIo.Dispose();
    }
}

/// <summary>Our float64 run of a fixture loop: final model and EMA, and per parameter the elements whose gradient came near
/// zero at some step (<see cref="TrainerFixture.NearZeroGradient"/>).</summary>
sealed record Float64RunResult(IReadOnlyDictionary<string, Tensor> Model, IReadOnlyDictionary<string, Tensor> Ema, IReadOnlyDictionary<string, Tensor> NearZero) : IDisposable
{
    public void Dispose()
    {
        foreach (var t in Model.Values.Concat(Ema.Values).Concat(NearZero.Values)) t.Dispose();
    }
}

/// <summary>Returns stored int64 timestep draws in order.</summary>
sealed class ReplayTimesteps(IReadOnlyList<Tensor> draws) : ITimestepSource
{
    public int Count { get; private set; }

    public Tensor Sample(long batch, int numTimesteps, Device device)
    {
        int i = Count++;
        if (i >= draws.Count) Assert.Fail($"Timestep draw #{i + 1} requested; the reference draws only {draws.Count}.");
        Assert.AreEqual(batch, draws[i].shape[0], $"timestep draw #{i + 1}: batch");
        return draws[i].to(device).clone();
    }
}

/// <summary>Comparisons of training results with the README's measures, collecting the figures for the report.</summary>
static class TrainingCompare
{
    /// <summary>|a − e| / |e| (absolute when e = 0).</summary>
    public static double Rel(double actual, double expected) => expected == 0 ? Math.Abs(actual) : Math.Abs(actual - expected) / Math.Abs(expected);

    /// <summary>(‖(a − s) − (e − s)‖², ‖e − s‖²) in float64: squared error of the update and squared reference update.</summary>
    public static (double Err2, double Ref2) Update(Tensor actual, Tensor expected, Tensor start)
    {
        using var scope = NewDisposeScope();
        var a = actual.detach().cpu().to_type(ScalarType.Float64);
        var e = expected.detach().cpu().to_type(ScalarType.Float64);
        var s = start.detach().cpu().to_type(ScalarType.Float64);
        var du = (a - s) - (e - s);
        var re = e - s;
        return (du.square().sum().item<double>(), re.square().sum().item<double>());
    }

    public static bool ExactlyEqual(Tensor a, Tensor b)
    {
        if (!a.shape.SequenceEqual(b.shape) || a.dtype != b.dtype) return false;
        using var scope = NewDisposeScope();
        return a.detach().cpu().eq(b.detach().cpu()).all().item<bool>();
    }

    /// <summary>
    /// Compares a whole state dict with the reference by the update from <paramref name="start"/>: per tensor relative
    /// L2 ≤ <paramref name="perTensor"/>, over all float tensors ≤ <paramref name="overall"/>; tensors the reference
    /// leaves unchanged (integer buffers, masks) must be bit-identical. Elements marked in <paramref name="aside"/> are
    /// left out of the update measures and must instead move by at most <paramref name="stepBound"/>, ours and the
    /// reference's. Returns (worst per-tensor, overall).
    /// </summary>
    public static (double Worst, string WorstKey, double Overall) StateDict(string what, IReadOnlyDictionary<string, Tensor> ours,
        IReadOnlyDictionary<string, Tensor> reference, IReadOnlyDictionary<string, Tensor> start, double perTensor, double overall,
        IReadOnlySet<string> excluded, IReadOnlyDictionary<string, Tensor>? aside = null, double stepBound = 0)
    {
        long asideCount = 0;
        double asideWorst = 0;
        CollectionAssert.AreEquivalent(reference.Keys.ToList(), ours.Keys.ToList(), $"{what}: state-dict keys");
        double err2 = 0, ref2 = 0, worst = 0;
        string worstKey = "";
        var failures = new List<string>();
        foreach (var (key, referenceValue) in reference)
        {
            if (excluded.Contains(key)) continue;
            var expected = referenceValue;
            var actual = ours[key];
            var s = start[key];
            if (!expected.is_floating_point() || key.Contains("relative_position_index", StringComparison.Ordinal))
            {
                if (!ExactlyEqual(actual, expected)) failures.Add($"{key}: not bit-identical");
                continue;
            }
            using var keyScope = NewDisposeScope();
            if (aside is not null && aside.TryGetValue(key, out var mask) && mask.any().item<bool>())
            {
                var keep = mask.logical_not();
                var start64 = s.detach().cpu().to_type(ScalarType.Float64);
                foreach (var t in new[] { actual, expected })
                {
                    double moved = (t.detach().cpu().to_type(ScalarType.Float64) - start64).masked_select(mask).abs().max().item<double>();
                    asideWorst = Math.Max(asideWorst, moved);
                    if (moved > stepBound) failures.Add($"{key}: an element with a near-zero gradient moved by {moved:E3} > the Adam bound {stepBound:E2}");
                }
                asideCount += mask.sum().item<long>();
                (actual, expected, s) = (actual.masked_select(keep), expected.masked_select(keep), s.masked_select(keep));
            }
            var (e2, r2) = Update(actual, expected, s);
            if (r2 == 0)
            {
                if (e2 != 0) failures.Add($"{key}: the reference does not change it, ours moved by {Math.Sqrt(e2):E2}");
                continue;
            }
            double rel = Math.Sqrt(e2 / r2);
            if (rel > worst) (worst, worstKey) = (rel, key);
            if (rel > perTensor) failures.Add($"{key}: update rel L2 {rel:E3} > {perTensor:E0}");
            err2 += e2;
            ref2 += r2;
        }
        double all = Math.Sqrt(err2 / ref2);
        Console.WriteLine($"{what}: worst per-tensor update rel L2 {worst:E2} ({worstKey}), overall {all:E2}"
                          + (aside is null ? "" : $"; {asideCount} elements with a near-zero gradient set aside, moved at most {asideWorst:E2} (bound {stepBound:E2})"));
        if (all > overall) failures.Add($"overall update rel L2 {all:E3} > {overall:E0}");
        if (failures.Count > 0) Assert.Fail($"{what}:\n  " + string.Join("\n  ", failures.Take(20)));
        return (worst, worstKey, all);
    }

    /// <summary>Every float element of <paramref name="ours"/> within <paramref name="bound"/> of <paramref name="other"/>.</summary>
    public static void ElementwiseWithin(string what, IReadOnlyDictionary<string, Tensor> ours, IReadOnlyDictionary<string, Tensor> other, double bound)
    {
        double worst = 0;
        string worstKey = "";
        foreach (var (key, a) in ours)
        {
            if (!a.is_floating_point()) continue;
            using var scope = NewDisposeScope();
            double d = (a.detach().cpu().to_type(ScalarType.Float64) - other[key].detach().cpu().to_type(ScalarType.Float64)).abs().max().item<double>();
            if (d > worst) (worst, worstKey) = (d, key);
        }
        Console.WriteLine($"{what}: max |Δ| {worst:E2} ({worstKey}), bound {bound:E2}");
        Assert.IsTrue(worst <= bound, $"{what}: max |Δ| {worst:E3} at {worstKey} > {bound:E2}");
    }

    public static Dictionary<string, Tensor> Clone(IReadOnlyDictionary<string, Tensor> sd) =>
        sd.ToDictionary(kv => kv.Key, kv => kv.Value.detach().clone(), StringComparer.Ordinal);
}
