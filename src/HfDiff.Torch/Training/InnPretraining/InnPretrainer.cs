// Pretraining of the HF-Diff INN feature extractor as an image classifier.
// Paper: Sami et al., "HF-Diff: High-Frequency Perceptual Loss and Distribution Matching for One-Step Diffusion-Based
// Image Super-Resolution" (2024): "the INN is pretrained on ImageNet for classification" with Adam (lr 5e-4), batch 32,
// exponential decay 0.95 every 5000 iterations, 20 epochs. The released code ships no pretraining script; the loop is ours.
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using HfDiff.Torch.Archs.HfDiff;
using HfDiff.Torch.Data.Classification;
using HfDiff.Torch.Imaging;
using TorchSharp;
using TorchSharp.Modules;
using TorchSharp.PyBridge;
using static TorchSharp.torch;

namespace HfDiff.Torch.Training.InnPretraining;

/// <summary>
/// Trains <see cref="HfDiffInnFeatureExtractor"/> with cross-entropy on <see cref="HfDiffInnFeatureExtractor.Classify"/>
/// logits over an <see cref="ImageClassificationFolder"/>, scores top-1 accuracy on the validation folder after each epoch,
/// writes atomic checkpoints into <see cref="InnPretrainingOptions.OutputFolder"/>, and resumes from the newest one there.
/// </summary>
/// <remarks>
/// <para>Resuming restores the weights, Adam's step count and moments, the iteration, the epoch and the batch position;
/// data order and augmentation are recomputed from the seed (<see cref="ClassificationBatchLoader"/>), so an
/// interrupted-and-resumed run takes the same steps as an uninterrupted one. Settings that would change the run (seed,
/// batch size, network, transform, learning-rate schedule, class folders) must match the checkpoint; epochs,
/// <see cref="InnPretrainingOptions.MaxIterations"/>, device and data workers may change.</para>
/// <para>Cancellation acts like a kill unless <see cref="CheckpointOnCancel"/> is set: the next run continues from the last checkpoint.</para>
/// </remarks>
public sealed class InnPretrainer : IDisposable
{
    readonly HfDiffInnFeatureExtractor _model;
    readonly Adam _optimizer;
    readonly NonFiniteStepGuard _guard = new();
    readonly Device _device;

    public InnPretrainingOptions Options { get; }
    public ImageClassificationFolder TrainData { get; }
    public ImageClassificationFolder? ValData { get; }
    /// <summary>The network being trained (on <see cref="InnPretrainingOptions.Device"/>).</summary>
    public HfDiffInnFeatureExtractor Model => _model;
    /// <summary>Write a checkpoint when <see cref="Train"/> is cancelled (default true; false simulates a kill).</summary>
    public bool CheckpointOnCancel { get; init; } = true;

    /// <summary>Lists the folders and builds the model (initial weights from <c>torch.manual_seed(Seed)</c>) and Adam.</summary>
    public InnPretrainer(InnPretrainingOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        Options = options;
        _device = TorchDevices.Parse(options.Device, nameof(InnPretrainingOptions.Device));
        TrainData = new ImageClassificationFolder(options.TrainFolder);
        if (options.ValFolder is not null)
        {
            ValData = new ImageClassificationFolder(options.ValFolder);
            TrainData.RequireSameClasses(ValData);
        }
        if (options.Extractor.NumClasses != TrainData.Classes.Count)
            throw new ArgumentException(
                $"Extractor.NumClasses is {options.Extractor.NumClasses} but the training folder '{TrainData.Root}' has {TrainData.Classes.Count} class folders; set NumClasses = {TrainData.Classes.Count}.",
                nameof(options));

        // Initial weights: TorchSharp's initialisers draw from the global generator only.
        torch.manual_seed(options.Seed);
        _model = new HfDiffInnFeatureExtractor(options.Extractor);
        _model.to(_device);
        _optimizer = torch.optim.Adam(_model.parameters(), options.LearningRate, options.Beta1, options.Beta2, options.Eps, options.WeightDecay);
    }

    /// <summary>
    /// Trains until all epochs are done or <see cref="InnPretrainingOptions.MaxIterations"/> is reached, continuing from
    /// the newest readable checkpoint in the output folder; writes the final weights and returns a summary.
    /// </summary>
    public InnPretrainingResult Train(IProgress<InnPretrainingProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        Directory.CreateDirectory(Options.OutputFolder);
        var loader = new ClassificationBatchLoader(TrainData,
            new ClassificationLoaderOptions
            {
                BatchSize = Options.BatchSize, Shuffle = true, Seed = Options.Seed,
                PrefetchBatches = Options.PrefetchBatches, Workers = Options.DataWorkers,
            },
            Options.Transform, ClassificationTransformMode.Train);
        var valLoader = ValData is null ? null : new ClassificationBatchLoader(ValData,
            new ClassificationLoaderOptions
            {
                BatchSize = Options.ValBatchSize ?? Options.BatchSize, Shuffle = false, Seed = Options.Seed,
                PrefetchBatches = Options.PrefetchBatches, Workers = Options.DataWorkers,
            },
            Options.Transform, ClassificationTransformMode.Eval);
        int perEpoch = loader.BatchesPerEpoch;
        long planned = (long)Options.Epochs * perEpoch;
        long total = Options.MaxIterations is long max ? Math.Min(max, planned) : planned;

        var settings = Settings();
        long iteration = 0;
        int epoch = 0, nextBatch = 0;
        var history = new List<InnPretrainingEpochSummary>();
        long? resumedFrom = null;
        string? lastCheckpoint = null;
        (long Iteration, int Epoch, int NextBatch) saved = (-1, -1, -1);
        var resumePath = FindResumable(settings, out var resumed);
        if (resumePath is not null)
        {
            InnPretrainingCheckpoint.Restore(resumePath, _model, _optimizer);
            (iteration, epoch, nextBatch) = (resumed!.Iteration, resumed.Epoch, resumed.NextBatch);
            history.AddRange(resumed.Validation);
            resumedFrom = iteration;
            lastCheckpoint = resumePath;
            saved = (iteration, epoch, nextBatch);
            if (nextBatch > perEpoch)
                throw new InvalidDataException($"Checkpoint '{resumePath}' is at batch {nextBatch} of epoch {epoch + 1}, but an epoch has only {perEpoch} batches.");
        }

        int Skipped() => loader.SkippedCount + (valLoader?.SkippedCount ?? 0);
        InnPretrainingProgress Report(InnPretrainingStage stage) => new()
        {
            Stage = stage, Iteration = iteration, TotalIterations = total, Epoch = epoch + 1, Epochs = Options.Epochs,
            BatchInEpoch = nextBatch, BatchesPerEpoch = perEpoch, LearningRate = Options.LearningRateAt(Math.Max(0, iteration - 1)),
            SkippedImages = Skipped(), SkippedSteps = _guard.Skipped,
        };
        if (resumedFrom is not null) progress?.Report(Report(InnPretrainingStage.Resumed) with { CheckpointPath = resumePath });

        string SaveCheckpoint()
        {
            var path = InnPretrainingCheckpoint.PathFor(Options.OutputFolder, iteration);
            InnPretrainingCheckpoint.Write(path, _model, _optimizer, new InnPretrainingCheckpointState
            {
                Iteration = iteration, Epoch = epoch, NextBatch = nextBatch,
                LearningRate = Options.LearningRateAt(Math.Max(0, iteration - 1)),
                Settings = settings, Validation = [.. history],
            });
            PruneCheckpoints();
            lastCheckpoint = path;
            saved = (iteration, epoch, nextBatch);
            progress?.Report(Report(InnPretrainingStage.CheckpointSaved) with { CheckpointPath = path });
            return path;
        }

        double imagesPerSecond = 0;
        bool stopped = false;
        try
        {
            while (epoch < Options.Epochs && iteration < total)
            {
                _model.train();
                var clock = Stopwatch.StartNew();
                bool epochDone = true;
                foreach (var batch in loader.EnumerateEpoch(epoch, nextBatch, cancellationToken))
                {
                    double loss;
                    double lr = Options.LearningRateAt(iteration);
                    using (batch)
                    using (var scope = torch.NewDisposeScope())
                    {
                        foreach (var group in _optimizer.ParamGroups) group.LearningRate = lr;
                        var x = batch.Images.to(_device);
                        var y = batch.Labels.to(_device);
                        _optimizer.zero_grad();
                        var logits = _model.Classify(x);
                        var ce = nn.functional.cross_entropy(logits, y);
                        ce.backward();
                        loss = ce.item<float>();
                        if (_guard.Check(loss, _model.parameters(), iteration + 1, $"iteration {iteration + 1} (epoch {epoch + 1}, lr {lr})", lastCheckpoint)) _optimizer.step();
                    }
                    iteration++;
                    nextBatch = batch.BatchIndex + 1;
                    double seconds = Math.Max(clock.Elapsed.TotalSeconds, 1e-9);
                    clock.Restart();
                    double ips = batch.Count / seconds;
                    imagesPerSecond = imagesPerSecond == 0 ? ips : 0.9 * imagesPerSecond + 0.1 * ips;
                    progress?.Report(Report(InnPretrainingStage.Step) with { Loss = loss, LearningRate = lr, ImagesPerSecond = imagesPerSecond });

                    if (iteration >= total) { epochDone = nextBatch >= perEpoch; break; }
                    if (Options.CheckpointEvery > 0 && iteration % Options.CheckpointEvery == 0 && nextBatch < perEpoch) SaveCheckpoint();
                }
                if (!epochDone) break; // stopped by MaxIterations inside the epoch

                var summary = valLoader is null ? null : Validate(valLoader, epoch + 1, iteration, cancellationToken);
                if (summary is not null)
                {
                    history.Add(summary);
                    progress?.Report(Report(InnPretrainingStage.Validated) with { ValidationTop1 = summary.Top1 });
                }
                epoch++;
                nextBatch = 0;
                SaveCheckpoint();
            }
            stopped = true;
        }
        finally
        {
            // Cancelled (or failed): optionally record where we are; the next run resumes from the newest checkpoint.
            if (!stopped && CheckpointOnCancel && cancellationToken.IsCancellationRequested && saved != (iteration, epoch, nextBatch))
                SaveCheckpoint();
        }
        if (saved != (iteration, epoch, nextBatch)) SaveCheckpoint();

        var weights = Path.Combine(Options.OutputFolder, Options.WeightsFileName);
        AtomicFile.Write(weights, s => _model.save_safetensors(s, leaveOpen: true));
        return new InnPretrainingResult
        {
            WeightsPath = Path.GetFullPath(weights), Iterations = iteration, Completed = epoch >= Options.Epochs,
            ResumedFromIteration = resumedFrom, Validation = history, LastCheckpointPath = lastCheckpoint,
            Skipped = [.. loader.Skipped, .. valLoader?.Skipped ?? []], SkippedSteps = _guard.Skipped,
        };
    }

    /// <summary>Top-1 accuracy of the current model on <paramref name="folder"/> (eval transform, no gradient).</summary>
    public InnPretrainingEpochSummary Evaluate(ImageClassificationFolder folder, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(folder);
        TrainData.RequireSameClasses(folder);
        var loader = new ClassificationBatchLoader(folder,
            new ClassificationLoaderOptions { BatchSize = Options.ValBatchSize ?? Options.BatchSize, Shuffle = false, Seed = Options.Seed, PrefetchBatches = Options.PrefetchBatches, Workers = Options.DataWorkers },
            Options.Transform, ClassificationTransformMode.Eval);
        return Validate(loader, 0, 0, cancellationToken);
    }

    InnPretrainingEpochSummary Validate(ClassificationBatchLoader loader, int epoch, long iteration, CancellationToken cancellationToken)
    {
        bool wasTraining = _model.training;
        _model.eval();
        long correct = 0;
        int count = 0;
        try
        {
            using var noGrad = torch.no_grad();
            foreach (var batch in loader.EnumerateEpoch(0, 0, cancellationToken))
            {
                using (batch)
                using (var scope = torch.NewDisposeScope())
                {
                    var logits = _model.Classify(batch.Images.to(_device));
                    var predicted = logits.argmax(1).cpu();
                    correct += predicted.eq(batch.Labels).sum().item<long>();
                    count += batch.Count;
                }
            }
        }
        finally { if (wasTraining) _model.train(); }
        return new InnPretrainingEpochSummary(epoch, iteration, count == 0 ? 0 : (double)correct / count, count);
    }

    /// <summary>The newest checkpoint that can be read and fits these settings; null when there is none.</summary>
    string? FindResumable(Dictionary<string, string> settings, out InnPretrainingCheckpointState? state)
    {
        var problems = new List<string>();
        foreach (var path in InnPretrainingCheckpoint.List(Options.OutputFolder))
        {
            try { state = InnPretrainingCheckpoint.ReadState(path); }
            catch (Exception e) when (e is Weights.CheckpointFormatException or IOException or JsonException)
            {
                problems.Add($"{path}: {e.Message}");
                continue; // an older checkpoint may still be good
            }
            foreach (var (key, value) in settings)
            {
                if (!state.Settings.TryGetValue(key, out var old) || old != value)
                    throw new InvalidOperationException(
                        $"Cannot resume from '{path}': setting {key} was {old ?? "(absent)"} and is now {value}. "
                        + $"Use a new OutputFolder to start over, or restore the setting.");
            }
            return path;
        }
        state = null;
        if (problems.Count > 0)
            throw new InvalidDataException($"No readable checkpoint in '{Options.OutputFolder}':\n  " + string.Join("\n  ", problems)
                                           + "\nDelete the broken files to start over.");
        return null;
    }

    void PruneCheckpoints()
    {
        foreach (var old in InnPretrainingCheckpoint.List(Options.OutputFolder).Skip(Options.KeepCheckpoints))
        {
            try { File.Delete(old); } catch (IOException) { /* an old file left behind is harmless */ }
        }
    }

    Dictionary<string, string> Settings()
    {
        static string J<T>(T value) => JsonSerializer.Serialize(value);
        var t = Options.Transform;
        return new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["Seed"] = Options.Seed.ToString(CultureInfo.InvariantCulture),
            ["BatchSize"] = Options.BatchSize.ToString(CultureInfo.InvariantCulture),
            ["Extractor"] = J(Options.Extractor),
            ["Transform"] = J(new { t.CropSize, Resize = t.EffectiveResizeSize, t.ScaleMin, t.ScaleMax, t.RatioMin, t.RatioMax,
                                    t.HorizontalFlipProbability, Interpolation = t.Interpolation.ToString(), t.Normalize, Mean = t.Mean.ToArray(), Std = t.Std.ToArray() }),
            ["Optimizer"] = J(new { Options.LearningRate, Options.Beta1, Options.Beta2, Options.Eps, Options.WeightDecay, Options.LrDecayGamma, Options.LrDecayEvery }),
            ["Classes"] = J(TrainData.Classes),
            ["TrainImages"] = TrainData.Count.ToString(CultureInfo.InvariantCulture),
        };
    }

    public void Dispose()
    {
        _optimizer.Dispose();
        _model.Dispose();
    }
}
