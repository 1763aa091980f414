using System.Text.Json;
using HfDiff.Torch.Archs.HfDiff;
using HfDiff.Torch.Samplers;
using HfDiff.Torch.Training.Core;
using HfDiff.Torch.Weights;
using TorchSharp;
using static TorchSharp.torch;

namespace HfDiff.Torch.Training.InnPretraining;

/// <summary>
/// The classification step of the INN pretraining for a <see cref="TrainingLoop"/>: cross-entropy of
/// <see cref="HfDiffInnFeatureExtractor.Classify"/> logits against the labels (mean over the batch). The batch source
/// passes images in the gt slot and int64 labels in the lq slot (<see cref="ClassificationBatchSource"/>).
/// </summary>
/// <remarks>As an <see cref="IAuxiliaryTrainingObjective"/> it calls <c>afterStep</c> after every step (before the
/// checkpoint decision), so epoch-end validation lands in that iteration's checkpoint, and it stores the validation
/// history there as its auxiliary state.</remarks>
public sealed class InnClassificationObjective : IAuxiliaryTrainingObjective
{
    public const string KindName = "hfdiff-inn-classifier";
    readonly HfDiffInnFeatureExtractor _model;
    readonly Func<long, InnPretrainingEpochSummary?> _afterStep;
    readonly List<InnPretrainingEpochSummary> _validation = [];

    /// <param name="afterStep">Called with the 1-based iteration after its step; a returned summary is added to <see cref="Validation"/>.</param>
    public InnClassificationObjective(HfDiffInnFeatureExtractor model, IReadOnlyDictionary<string, string> settings,
                                      Func<long, InnPretrainingEpochSummary?> afterStep)
    {
        _model = model ?? throw new ArgumentNullException(nameof(model));
        Settings = settings ?? throw new ArgumentNullException(nameof(settings));
        _afterStep = afterStep ?? throw new ArgumentNullException(nameof(afterStep));
    }

    public string Kind => KindName;
    public nn.Module Model => _model;
    public EmaKeyRule EmaRule => EmaKeyRule.ResShift;
    public IReadOnlyList<string> TermNames { get; } = ["loss"];
    public IReadOnlyDictionary<string, string> Settings { get; }
    /// <summary>Validation after every finished epoch, including those of earlier runs (restored from the checkpoint).</summary>
    public IReadOnlyList<InnPretrainingEpochSummary> Validation => _validation;

    public void PrepareForTraining() => _model.train();

    public TrainingMicrobatchResult Compute(Tensor images, Tensor labels, INoiseSource noise, ITimestepSource timesteps)
    {
        var ce = nn.functional.cross_entropy(_model.Classify(images), labels);
        return new TrainingMicrobatchResult(ce, new Dictionary<string, Tensor> { ["loss"] = ce.detach() });
    }

    public void InitializeAuxiliary(Device device, TrainingLoopOptions options) { }
    public void BeginIteration(long iteration) { }

    public IReadOnlyDictionary<string, double[]> AfterStep(AuxiliaryStepContext context)
    {
        if (_afterStep(context.Iteration) is { } summary) _validation.Add(summary);
        return new Dictionary<string, double[]>();
    }

    public byte[] GetAuxiliaryState() => JsonSerializer.SerializeToUtf8Bytes(_validation);

    public void SetAuxiliaryState(byte[] state)
    {
        _validation.Clear();
        _validation.AddRange(ReadValidation(state, "the checkpoint"));
    }

    /// <summary>The validation history stored as a checkpoint's auxiliary state.</summary>
    public static List<InnPretrainingEpochSummary> ReadValidation(byte[] state, string source)
    {
        try { return JsonSerializer.Deserialize<List<InnPretrainingEpochSummary>>(state) ?? []; }
        catch (JsonException e) { throw new CheckpointFormatException($"{source}: the validation history is not readable ({e.Message}).", e); }
    }
}
