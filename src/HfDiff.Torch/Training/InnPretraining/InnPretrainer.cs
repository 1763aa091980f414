// Pretraining of the HF-Diff INN feature extractor as an image classifier.
// Paper: Sami et al., "HF-Diff: High-Frequency Perceptual Loss and Distribution Matching for One-Step Diffusion-Based
// Image Super-Resolution" (2024): "the INN is pretrained on ImageNet for classification" with Adam (lr 5e-4), batch 32,
// exponential decay 0.95 every 5000 iterations, 20 epochs. The released code ships no pretraining script; the epochs are
// ours, the iterations run in the shared training core (Training/Core/TrainingLoop).
using System.Globalization;
using System.Text.Json;
using HfDiff.Torch.Archs.HfDiff;
using HfDiff.Torch.Data.Classification;
using HfDiff.Torch.Imaging;
using HfDiff.Torch.Training.Core;
using TorchSharp;
using TorchSharp.Modules;
using TorchSharp.PyBridge;
using static TorchSharp.torch;

namespace HfDiff.Torch.Training.InnPretraining;

/// <summary>
/// Trains <see cref="HfDiffInnFeatureExtractor"/> with cross-entropy on <see cref="HfDiffInnFeatureExtractor.Classify"/>
/// logits over an <see cref="ImageClassificationFolder"/>, scores top-1 accuracy on the validation folder after each epoch,
/// and resumes from the newest readable checkpoint in <see cref="InnPretrainingOptions.OutputFolder"/>.
/// </summary>
/// <remarks>
/// <para>The iterations run in the shared <see cref="TrainingLoop"/> (Adam, the StepLR schedule, the non-finite guard,
/// atomic keep-last-K checkpoints in <c>checkpoints/</c>, <c>train_log.csv</c>) with an <see cref="InnClassificationObjective"/>
/// over a <see cref="ClassificationBatchSource"/>; this class adds the epochs: validation and a checkpoint after each one.</para>
/// <para>Resuming restores the weights, Adam's step count and moments, the iteration, the data position and the
/// validation history; data order and augmentation are recomputed from the seed (<see cref="ClassificationBatchLoader"/>),
/// so an interrupted-and-resumed run takes the same steps as an uninterrupted one. Settings that would change the run (seed,
/// batch size, network, transform, learning-rate schedule, class folders) must match the checkpoint; epochs,
/// <see cref="InnPretrainingOptions.MaxIterations"/>, device and data workers may change.</para>
/// <para>Cancellation throws <see cref="OperationCanceledException"/> after a checkpoint at the iteration reached, or
/// acts like a kill when <see cref="CheckpointOnCancel"/> is false: the next run continues from the last checkpoint.</para>
/// </remarks>
public sealed class InnPretrainer : IDisposable
{
    /// <summary>Settings key holding the batches per epoch (turns a checkpoint's data position into epoch and batch).</summary>
    public const string BatchesPerEpochSetting = "BatchesPerEpoch";

    readonly HfDiffInnFeatureExtractor _model;
    readonly Device _device;

    public InnPretrainingOptions Options { get; }
    public ImageClassificationFolder TrainData { get; }
    public ImageClassificationFolder? ValData { get; }
    /// <summary>The network being trained (on <see cref="InnPretrainingOptions.Device"/>).</summary>
    public HfDiffInnFeatureExtractor Model => _model;
    /// <summary>Write a checkpoint when <see cref="Train"/> is cancelled (default true; false simulates a kill).</summary>
    public bool CheckpointOnCancel { get; init; } = true;

    /// <summary>Lists the folders and builds the model (initial weights from <c>torch.manual_seed(Seed)</c>).</summary>
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
    }

    /// <summary>
    /// Trains until all epochs are done or <see cref="InnPretrainingOptions.MaxIterations"/> is reached, continuing from
    /// the newest readable checkpoint in the output folder; writes the final weights and returns a summary.
    /// </summary>
    public InnPretrainingResult Train(IProgress<InnPretrainingProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        Directory.CreateDirectory(Options.OutputFolder);
        RefuseOldFormatCheckpoints();
        var loader = CreateLoader(TrainData, Options.BatchSize, ClassificationTransformMode.Train);
        var valLoader = ValData is null ? null : CreateLoader(ValData, Options.ValBatchSize ?? Options.BatchSize, ClassificationTransformMode.Eval);
        using var source = new ClassificationBatchSource(loader);
        var run = new RunReporter(this, source, loader, valLoader, progress);
        var objective = new InnClassificationObjective(_model, Settings(source.BatchesPerEpoch), run.AfterStep);
        using var loop = new TrainingLoop(objective, LoopOptions(run.TotalIterations));
        var result = loop.Run(source, run.Hooks(CheckpointOnCancel, cancellationToken));
        if (!result.Completed)
        {
            run.CheckpointWritten(result.LastCheckpointPath); // the one CheckpointOnCancel wrote, if any
            throw new OperationCanceledException("INN pretraining was cancelled.", cancellationToken);
        }

        var weights = Path.Combine(Options.OutputFolder, Options.WeightsFileName);
        AtomicFile.Write(weights, s => _model.save_safetensors(s, leaveOpen: true));
        return new InnPretrainingResult
        {
            WeightsPath = Path.GetFullPath(weights), Iterations = result.Iterations, Completed = source.Epoch >= Options.Epochs,
            ResumedFromIteration = result.ResumedFromIteration, Validation = [.. objective.Validation], LastCheckpointPath = result.LastCheckpointPath,
            Skipped = [.. loader.Skipped, .. valLoader?.Skipped ?? []], SkippedSteps = result.SkippedIterations,
        };
    }

    /// <summary>The core loop's settings: Adam with the paper's StepLR, one batch per step, a checkpoint every <c>CheckpointEvery</c>.</summary>
    TrainingLoopOptions LoopOptions(long iterations) => new()
    {
        OutputFolder = Options.OutputFolder, LrSchedule = new InnPretrainingLrSchedule(Options), Iterations = iterations,
        Batch = Options.BatchSize, Microbatch = Options.BatchSize, Optimizer = TrainingOptimizer.Adam,
        Beta1 = Options.Beta1, Beta2 = Options.Beta2, Eps = Options.Eps, WeightDecay = Options.WeightDecay,
        SaveFreq = Options.CheckpointEvery == 0 ? long.MaxValue : Options.CheckpointEvery, KeepCheckpoints = Options.KeepCheckpoints,
        Seed = Options.Seed, Resume = true, Device = Options.Device,
    };

    ClassificationBatchLoader CreateLoader(ImageClassificationFolder folder, int batchSize, ClassificationTransformMode mode) => new(folder,
        new ClassificationLoaderOptions
        {
            BatchSize = batchSize, Shuffle = mode == ClassificationTransformMode.Train, Seed = Options.Seed,
            PrefetchBatches = Options.PrefetchBatches, Workers = Options.DataWorkers,
        },
        Options.Transform, mode);

    void RefuseOldFormatCheckpoints()
    {
        var old = InnPretrainingCheckpoint.ListOldFormat(Options.OutputFolder);
        if (old.Count > 0 && InnPretrainingCheckpoint.List(Options.OutputFolder).Count == 0)
            throw new Core.TrainingResumeException(
                $"'{Options.OutputFolder}' holds checkpoints of the earlier INN pretraining format (newest '{Path.GetFileName(old[0])}'), "
                + "which this version does not resume. Use a new output folder (or move those files away) to start over.");
    }

    /// <summary>
    /// The progress reports and the epoch ends of one <see cref="Train"/> call, fed by the loop's hooks: validation after
    /// the last batch of an epoch (before that iteration's checkpoint), then Step, Validated and CheckpointSaved reports.
    /// </summary>
    sealed class RunReporter(InnPretrainer trainer, ClassificationBatchSource source, ClassificationBatchLoader loader,
                             ClassificationBatchLoader? valLoader, IProgress<InnPretrainingProgress>? progress)
    {
        readonly InnPretrainingOptions _o = trainer.Options;
        readonly int _perEpoch = source.BatchesPerEpoch;
        long _skippedSteps;
        double _imagesPerSecond;
        InnPretrainingEpochSummary? _validated;
        string? _lastCheckpoint;
        long _iteration;

        public long TotalIterations => Math.Min(_o.MaxIterations ?? long.MaxValue, (long)_o.Epochs * _perEpoch);

        bool AtEpochEnd => source.NextBatch == 0 && source.Position > 0;

        public TrainingRunHooks Hooks(bool checkpointOnCancel, CancellationToken cancellationToken) => new()
        {
            Cancellation = cancellationToken, CheckpointOnCancel = checkpointOnCancel, SkipUnreadableCheckpoints = true,
            WriteFinalStateDicts = false, CheckpointAfter = _ => AtEpochEnd, OnResumed = Resumed, OnIteration = Iterated,
        };

        /// <summary>Validates after the last batch of an epoch (the objective keeps the summary in its history).</summary>
        public InnPretrainingEpochSummary? AfterStep(long iteration)
        {
            _validated = AtEpochEnd && valLoader is not null ? trainer.Validate(valLoader, source.Epoch, iteration, CancellationToken.None) : null;
            return _validated;
        }

        /// <summary>Reports a checkpoint the loop wrote outside an iteration (on cancel); known paths are not reported again.</summary>
        public void CheckpointWritten(string? path)
        {
            if (path is not null && path != _lastCheckpoint)
                Report(InnPretrainingStage.CheckpointSaved, _iteration, afterStep: false, checkpoint: path);
        }

        void Resumed(string path, TrainingCheckpointState state)
        {
            _skippedSteps = state.SkippedIterations;
            (_lastCheckpoint, _iteration) = (path, state.Iteration);
            Report(InnPretrainingStage.Resumed, state.Iteration, afterStep: false, checkpoint: path);
        }

        void Iterated(TrainingIterationReport r)
        {
            _iteration = r.Iteration;
            if (r.Skipped) _skippedSteps++;
            double ips = source.LastBatchCount / Math.Max(r.Seconds, 1e-9);
            _imagesPerSecond = _imagesPerSecond == 0 ? ips : 0.9 * _imagesPerSecond + 0.1 * ips;
            double loss = r.Micro.SelectMany(m => m.Terms["loss"]).Average();
            Report(InnPretrainingStage.Step, r.Iteration, afterStep: true, loss: loss, lr: r.LearningRate);
            if (_validated is { } v) Report(InnPretrainingStage.Validated, r.Iteration, afterStep: true, top1: v.Top1);
            _validated = null;
            if (r.CheckpointPath is { } path)
            {
                _lastCheckpoint = path;
                Report(InnPretrainingStage.CheckpointSaved, r.Iteration, afterStep: false, checkpoint: path);
            }
        }

        /// <summary>
        /// A report at <paramref name="iteration"/>: right after a step (<paramref name="afterStep"/>) the epoch and batch
        /// are those of the batch just trained; otherwise those of the next batch.
        /// </summary>
        void Report(InnPretrainingStage stage, long iteration, bool afterStep, double loss = double.NaN, double? lr = null, double? top1 = null, string? checkpoint = null)
        {
            if (progress is null) return;
            long position = afterStep ? source.Position - 1 : source.Position;
            progress.Report(new InnPretrainingProgress
            {
                Stage = stage, Iteration = iteration, TotalIterations = TotalIterations, Epochs = _o.Epochs, BatchesPerEpoch = _perEpoch,
                Epoch = (int)(position / _perEpoch) + 1, BatchInEpoch = (int)(position % _perEpoch) + (afterStep ? 1 : 0),
                Loss = loss, LearningRate = lr ?? _o.LearningRateAt(Math.Max(0, iteration - 1)), ImagesPerSecond = _imagesPerSecond,
                ValidationTop1 = top1, CheckpointPath = checkpoint, SkippedSteps = _skippedSteps,
                SkippedImages = loader.SkippedCount + (valLoader?.SkippedCount ?? 0),
            });
        }
    }

    /// <summary>Top-1 accuracy of the current model on <paramref name="folder"/> (eval transform, no gradient).</summary>
    public InnPretrainingEpochSummary Evaluate(ImageClassificationFolder folder, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(folder);
        TrainData.RequireSameClasses(folder);
        return Validate(CreateLoader(folder, Options.ValBatchSize ?? Options.BatchSize, ClassificationTransformMode.Eval), 0, 0, cancellationToken);
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

    /// <summary>What must not change between runs besides the core loop's own settings (those are added by the loop).</summary>
    Dictionary<string, string> Settings(int batchesPerEpoch)
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
            [BatchesPerEpochSetting] = batchesPerEpoch.ToString(CultureInfo.InvariantCulture),
        };
    }

    public void Dispose() => _model.Dispose();
}
