// The iteration loop shared by the SinSR student and ResShift teacher trainers.
// Sources: wyf0912/SinSR @ f1735490, trainer.py (TrainerBase.train, TrainerDistillDifIR.training_step);
//          zsyOAOA/ResShift @ 3ce1d81e, trainer.py (TrainerBase.train, TrainerDifIR.training_step).
// Checkpoints, resume, the CSV log and the non-finite guard are ours (the official loops have none of them).
using System.Diagnostics;
using System.Text.Json;
using HfDiff.Torch.Samplers;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace HfDiff.Torch.Training.Core;

/// <summary>Arguments of one <see cref="TrainingLoop.Run"/> call that are not settings (not part of the fingerprint).</summary>
public sealed record TrainingRunHooks
{
    /// <summary>Replaces the run's own noise stream (tests replay stored draws); null = <see cref="TrainingRandom"/>.</summary>
    public INoiseSource? Noise { get; init; }
    /// <summary>Replaces the run's own timestep stream; null = <see cref="TrainingRandom"/>.</summary>
    public ITimestepSource? Timesteps { get; init; }
    /// <summary>Called after every iteration (after step, EMA, lr update, log and checkpoint).</summary>
    public Action<TrainingIterationReport>? OnIteration { get; init; }
    /// <summary>Called with the model once an iteration's gradients are accumulated and found finite, before clipping and
    /// the optimizer step (to inspect the gradients; it must not change them).</summary>
    public Action<nn.Module>? BeforeStep { get; init; }
    /// <summary>Checked before each iteration; a cancelled run stops like a killed one (no extra checkpoint) unless <see cref="CheckpointOnCancel"/>.</summary>
    public CancellationToken Cancellation { get; init; }
    /// <summary>When the run stops on <see cref="Cancellation"/>, write a checkpoint at the iteration reached (if the newest is not there yet).</summary>
    public bool CheckpointOnCancel { get; init; }
    /// <summary>Extra checkpoints: after iteration <c>i</c> (1-based) when this returns true (e.g. epoch ends), besides every <c>save_freq</c>.</summary>
    public Func<long, bool>? CheckpointAfter { get; init; }
    /// <summary>
    /// On resume, pass over checkpoints that cannot be read (truncated, not a zip, wrong format) to the newest readable
    /// one; when none is readable, throw <see cref="InvalidDataException"/> naming each file. Default: the newest must be readable.
    /// </summary>
    public bool SkipUnreadableCheckpoints { get; init; }
    /// <summary>Called once the run has restored a checkpoint (its path and state), before the first iteration.</summary>
    public Action<string, TrainingCheckpointState>? OnResumed { get; init; }
    /// <summary>Write <see cref="TrainingLoop.ModelFileName"/> and <see cref="TrainingLoop.EmaFileName"/> when the run completes (default true).</summary>
    public bool WriteFinalStateDicts { get; init; } = true;
}

/// <summary>
/// Runs <see cref="TrainingLoopOptions.Iterations"/> iterations of an <see cref="ITrainingObjective"/> in the official
/// trainers' order:
/// <list type="number">
/// <item>set the iteration's rate on every AdamW param group; zero the gradients;</item>
/// <item>split the batch into microbatches of <c>microbatch</c> rows; per microbatch back-propagate loss / ceil(batch / microbatch);</item>
/// <item>global gradient norm (float64); optional clipping; <c>AdamW.step()</c>; zero the gradients; EMA update;</item>
/// <item><c>adjust_lr(iteration)</c>; CSV row; checkpoint every <c>save_freq</c> iterations and after the last.</item>
/// </list>
/// A non-finite microbatch loss or gradient norm skips the step and the EMA update (gradients are zeroed; the iteration
/// still counts and the rate schedule still advances); <see cref="TrainingLoopOptions.MaxConsecutiveNonFinite"/> skips in a
/// row stop the run with <see cref="TrainingDivergedException"/>. Resuming restores weights, EMA, AdamW state, rate,
/// random state and data position from the newest checkpoint, so the result equals an uninterrupted run bit for bit.
/// An <see cref="IAuxiliaryTrainingObjective"/> adds its own update after the step (and its state to the checkpoints).
/// </summary>
public sealed class TrainingLoop : IDisposable
{
    public const string CheckpointFolderName = "checkpoints";
    public const string LogFileName = "train_log.csv";
    public const string ModelFileName = "model_final.pth";
    public const string EmaFileName = "ema_model_final.pth";

    readonly ITrainingObjective _objective;
    readonly OptimizerHelper _optimizer;
    readonly TrainingRandom _random;
    readonly Device _device;
    readonly Parameter[] _parameters;
    readonly IAuxiliaryTrainingObjective? _auxiliary;

    public TrainingLoop(ITrainingObjective objective, TrainingLoopOptions options)
    {
        ArgumentNullException.ThrowIfNull(objective);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        HeapReuse.TryEnable();   // large maps are re-allocated every microbatch: see HeapReuse
        _objective = objective;
        Options = options;
        _device = TorchDevices.Parse(options.Device, nameof(TrainingLoopOptions.Device));
        objective.Model.to(_device);
        _parameters = objective.Model.parameters().Where(p => p.requires_grad).ToArray();
        if (_parameters.Length == 0) throw new ArgumentException("The objective's model has no trainable parameters.", nameof(objective));
        _optimizer = options.Optimizer == TrainingOptimizer.Adam
            ? optim.Adam(_parameters, options.LrSchedule.InitialLr, options.Beta1, options.Beta2, options.Eps, options.WeightDecay)
            : optim.AdamW(_parameters, options.LrSchedule.InitialLr, options.Beta1, options.Beta2, options.Eps, options.WeightDecay);
        Ema = new ExponentialMovingAverage(objective.Model, options.EmaRate, objective.EmaRule);
        _random = new TrainingRandom(options.Seed);
        _auxiliary = objective as IAuxiliaryTrainingObjective;
        _auxiliary?.InitializeAuxiliary(_device, options);
    }

    public TrainingLoopOptions Options { get; }
    public ExponentialMovingAverage Ema { get; }
    public string CheckpointFolder => Path.Combine(Options.OutputFolder, CheckpointFolderName);

    /// <summary>Every setting a resumed run must share with its checkpoint.</summary>
    public Dictionary<string, string> Settings()
    {
        var s = Options.Fingerprint();
        s["kind"] = _objective.Kind;
        foreach (var (k, v) in _objective.Settings) s[k] = v;
        return s;
    }

    public TrainingResult Run(ITrainingBatchSource data, TrainingRunHooks? hooks = null)
    {
        ArgumentNullException.ThrowIfNull(data);
        hooks ??= new TrainingRunHooks();
        var noise = hooks.Noise ?? _random;
        var timesteps = hooks.Timesteps ?? _random;
        Directory.CreateDirectory(Options.OutputFolder);
        var settings = Settings();

        long iteration = 0, skippedTotal = 0;
        int consecutive = 0;
        double lr = Options.LrSchedule.InitialLr;
        long? resumedFrom = null;
        string? lastCheckpoint = null;
        var existing = TrainingCheckpoint.List(CheckpointFolder);
        if (existing.Count > 0)
        {
            if (!Options.Resume)
                throw new TrainingResumeException(
                    $"'{Options.OutputFolder}' already holds checkpoints (newest '{Path.GetFileName(existing[0])}'). Resume to continue it, or use a new output folder.");
            var (path, saved) = hooks.SkipUnreadableCheckpoints ? NewestReadable(existing) : (existing[0], TrainingCheckpoint.ReadState(existing[0]));
            CheckSettings(path, saved, settings);
            TrainingCheckpoint.Restore(path, _objective.Model, Ema, _optimizer, _random,
                                       _auxiliary is null ? null : _auxiliary.SetAuxiliaryState);
            (iteration, lr, skippedTotal, consecutive) = (saved.Iteration, saved.LearningRate, saved.SkippedIterations, saved.ConsecutiveNonFinite);
            data.Restore(saved.DataPosition);
            resumedFrom = iteration;
            lastCheckpoint = path;
            hooks.OnResumed?.Invoke(path, saved);
        }

        var logPath = Path.Combine(Options.OutputFolder, LogFileName);
        using var log = new TrainingCsvLog(logPath, _objective.TermNames, iteration);
        _objective.PrepareForTraining();

        string SaveCheckpoint()
        {
            var path = TrainingCheckpoint.PathFor(CheckpointFolder, iteration);
            TrainingCheckpoint.Write(path, _objective.Model, Ema, _optimizer, _random.GetState(), new TrainingCheckpointState
            {
                Kind = _objective.Kind, Iteration = iteration, LearningRate = lr, DataPosition = data.Position,
                SkippedIterations = skippedTotal, ConsecutiveNonFinite = consecutive, Settings = settings,
            }, _auxiliary?.GetAuxiliaryState());
            foreach (var old in TrainingCheckpoint.List(CheckpointFolder).Skip(Options.KeepCheckpoints))
            {
                try { File.Delete(old); } catch (IOException) { /* an old file left behind is harmless */ }
            }
            lastCheckpoint = path;
            return path;
        }

        while (iteration < Options.Iterations)
        {
            if (hooks.Cancellation.IsCancellationRequested)
            {
                if (hooks.CheckpointOnCancel && !IsCheckpointOf(lastCheckpoint, iteration)) SaveCheckpoint();
                break;
            }
            var clock = Stopwatch.StartNew();
            long current = iteration + 1;
            double lrUsed = lr;
            foreach (var group in _optimizer.ParamGroups) group.LearningRate = lrUsed;

            var micro = new List<TrainingMicrobatchReport>();
            var outputs = new List<TrainingMicrobatchResult>();
            string? skipReason = null;
            double gradNorm;
            int nacc = 1;
            // No garbage collection from here to the end of the step: see NoGcIteration (TorchSharp's Scalar race).
            var noGc = NoGcIteration.Enter();
            try
            {
                _auxiliary?.BeginIteration(current);
                var (gtAll, lqAll) = data.Next();
                using (gtAll)
                using (lqAll)
                {
                    long batch = gtAll.shape[0];
                    if (batch != Options.Batch && !(data.PartialBatches && batch >= 1 && batch < Options.Batch))
                        throw new InvalidOperationException($"The data source delivered a batch of {batch} rows; batch is {Options.Batch}.");
                    nacc = (int)((batch + Options.Microbatch - 1) / Options.Microbatch);
                    _optimizer.zero_grad();
                    for (long j = 0; j < batch; j += Options.Microbatch)
                    {
                        long len = Math.Min(Options.Microbatch, batch - j);
                        using var scope = NewDisposeScope();
                        var gt = gtAll.narrow(0, j, len).to(_device);
                        var lq = lqAll.narrow(0, j, len).to(_device);
                        if (_objective is IPartialBackwardObjective partial) partial.LossScale = 1.0 / nacc;
                        var r = _objective.Compute(gt, lq, noise, timesteps);
                        r.Loss.DetachFromDisposeScope();
                        foreach (var t in r.Terms.Values.Concat(r.Outputs.Values)) t.DetachFromDisposeScope();
                        outputs.Add(r);
                        micro.Add(new TrainingMicrobatchReport(
                            r.Terms.ToDictionary(kv => kv.Key, kv => ToDoubles(kv.Value), StringComparer.Ordinal), r.Outputs));
                        double value = r.Loss.detach().to_type(ScalarType.Float64).item<double>();
                        if (!double.IsFinite(value))
                        {
                            skipReason = $"loss of microbatch {micro.Count - 1} is {value}";
                            break;
                        }
                        // training_step: (losses['loss'].mean() / num_grad_accumulate).backward()
                        (r.Loss / nacc).backward();
                    }
                }

                gradNorm = GradNorm();
                if (skipReason is null && !double.IsFinite(gradNorm)) skipReason = $"gradient norm is {gradNorm}";
                if (skipReason is null)
                {
                    hooks.BeforeStep?.Invoke(_objective.Model);
                    if (Options.MaxGradNorm is double max) nn.utils.clip_grad_norm_(_parameters, max);
                    _optimizer.step();
                    _optimizer.zero_grad();   // PORT-QUIRK(ResShift, trainer.py): model.zero_grad() after the step (SinSR zeroes before; same result)
                    Ema.Update(_objective.Model);
                    consecutive = 0;
                }
                else
                {
                    _optimizer.zero_grad();
                    skippedTotal++;
                    consecutive++;
                }

                // An auxiliary objective's own update (e.g. the discriminator's step), after the model's step and EMA.
                var auxTerms = _auxiliary?.AfterStep(new AuxiliaryStepContext(current, lrUsed, outputs, skipReason is not null, nacc))
                               ?? new Dictionary<string, double[]>();
                noGc.Dispose();   // logging and checkpoints may allocate freely

                iteration = current;
                lr = Options.LrSchedule.After(current, lrUsed);
                var report = new TrainingIterationReport
                {
                    Iteration = current, TotalIterations = Options.Iterations, LearningRate = lrUsed, LearningRateAfter = lr,
                    GradNorm = gradNorm, Skipped = skipReason is not null, SkipReason = skipReason, Seconds = clock.Elapsed.TotalSeconds,
                    Micro = micro, AuxiliaryTerms = auxTerms, Model = _objective.Model, Ema = Ema,
                };
                log.Append(report);
                if (consecutive >= Options.MaxConsecutiveNonFinite)
                    throw new TrainingDivergedException(
                        $"Training diverged: {consecutive} consecutive iterations up to {current} had a non-finite loss or gradient ({skipReason}); "
                        + $"no step was taken in them. Last checkpoint: {lastCheckpoint ?? "(none)"}. Lower the learning rate or check the data.",
                        current, lastCheckpoint);
                string? saved = null;
                if (current % Options.SaveFreq == 0 || current == Options.Iterations || hooks.CheckpointAfter?.Invoke(current) == true) saved = SaveCheckpoint();
                hooks.OnIteration?.Invoke(report with { CheckpointPath = saved });
            }
            finally
            {
                noGc.Dispose();
                foreach (var r in outputs) r.Dispose();
            }
        }

        bool completed = iteration >= Options.Iterations;
        string? modelPath = null, emaPath = null;
        if (completed)
        {
            if (!IsCheckpointOf(lastCheckpoint, iteration)) SaveCheckpoint();
            if (hooks.WriteFinalStateDicts)
            {
                modelPath = Path.Combine(Options.OutputFolder, ModelFileName);
                emaPath = Path.Combine(Options.OutputFolder, EmaFileName);
                StateDictFiles.WritePth(modelPath, _objective.Model.state_dict());
                StateDictFiles.WritePth(emaPath, Ema.State);
            }
        }
        return new TrainingResult
        {
            Iterations = iteration, Completed = completed, ResumedFromIteration = resumedFrom, SkippedIterations = skippedTotal,
            LastCheckpointPath = lastCheckpoint, ModelPath = modelPath, EmaPath = emaPath, LogPath = logPath,
        };
    }

    static bool IsCheckpointOf(string? path, long iteration) =>
        path is not null && path.EndsWith(TrainingCheckpoint.PathFor("", iteration), StringComparison.Ordinal);

    /// <summary>The newest checkpoint whose state can be read; throws naming every file when none can.</summary>
    (string Path, TrainingCheckpointState State) NewestReadable(IReadOnlyList<string> checkpoints)
    {
        var problems = new List<string>();
        foreach (var path in checkpoints)
        {
            try { return (path, TrainingCheckpoint.ReadState(path)); }
            catch (Exception e) when (e is Weights.CheckpointFormatException or IOException or JsonException)
            {
                problems.Add($"{path}: {e.Message}"); // an older checkpoint may still be good
            }
        }
        throw new InvalidDataException($"No readable checkpoint in '{CheckpointFolder}':\n  " + string.Join("\n  ", problems)
                                       + "\nDelete the broken files to start over.");
    }

    static void CheckSettings(string path, TrainingCheckpointState saved, Dictionary<string, string> settings)
    {
        var diffs = new List<string>();
        foreach (var key in settings.Keys.Union(saved.Settings.Keys).Order(StringComparer.Ordinal))
        {
            saved.Settings.TryGetValue(key, out var old);
            settings.TryGetValue(key, out var now);
            if (old != now) diffs.Add($"{key}: checkpoint {old ?? "(absent)"}, now {now ?? "(absent)"}");
        }
        if (diffs.Count > 0)
            throw new TrainingResumeException(
                $"Cannot resume from '{path}': the settings differ ({string.Join("; ", diffs)}). Restore them, or use a new output folder.");
    }

    /// <summary>‖g‖₂ over all trainable parameters with a gradient, summed in float64.</summary>
    double GradNorm()
    {
        using var scope = NewDisposeScope();
        double sq = 0;
        foreach (var p in _parameters)
        {
            var g = p.grad;
            if (g is null) continue;
            sq += g.to_type(ScalarType.Float64).square().sum().item<double>();
        }
        return Math.Sqrt(sq);
    }

    static double[] ToDoubles(Tensor t)
    {
        using var d = t.detach().cpu().to_type(ScalarType.Float64).reshape(-1);
        return d.data<double>().ToArray();
    }

    public void Dispose()
    {
        _optimizer.Dispose();
        Ema.Dispose();
        _random.Dispose();
    }
}
