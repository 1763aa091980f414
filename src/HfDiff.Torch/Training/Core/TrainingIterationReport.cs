using TorchSharp;
using static TorchSharp.torch;

namespace HfDiff.Torch.Training.Core;

/// <summary>One microbatch of an iteration: each loss term's values (per row, or one value for batch-level terms) and
/// the objective's diagnostic outputs (valid only during the callback).</summary>
public sealed record TrainingMicrobatchReport(IReadOnlyDictionary<string, double[]> Terms, IReadOnlyDictionary<string, Tensor> Outputs);

/// <summary>What happened in one iteration, passed to the iteration callback after the step, EMA and lr update.</summary>
public sealed record TrainingIterationReport
{
    public required long Iteration { get; init; }
    public required long TotalIterations { get; init; }
    /// <summary>Rate the iteration ran at.</summary>
    public required double LearningRate { get; init; }
    /// <summary>Rate after <c>adjust_lr(iteration)</c>: the next iteration's rate.</summary>
    public required double LearningRateAfter { get; init; }
    /// <summary>Global L2 norm of the gradients before the step (float64 sum of squares; before clipping).</summary>
    public required double GradNorm { get; init; }
    /// <summary>True when the step was skipped because a loss or gradient was not finite.</summary>
    public required bool Skipped { get; init; }
    public string? SkipReason { get; init; }
    /// <summary>Wall time of the iteration.</summary>
    public required double Seconds { get; init; }
    public required IReadOnlyList<TrainingMicrobatchReport> Micro { get; init; }
    /// <summary>Term values from <see cref="IAuxiliaryTrainingObjective.AfterStep"/> (empty for other objectives).</summary>
    public IReadOnlyDictionary<string, double[]> AuxiliaryTerms { get; init; } = new Dictionary<string, double[]>();
    /// <summary>Path of the checkpoint written after this iteration, if any.</summary>
    public string? CheckpointPath { get; init; }
    /// <summary>The network after the step (live).</summary>
    public required nn.Module Model { get; init; }
    /// <summary>The EMA after the update (live).</summary>
    public required ExponentialMovingAverage Ema { get; init; }
}
