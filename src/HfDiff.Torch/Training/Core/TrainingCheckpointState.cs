namespace HfDiff.Torch.Training.Core;

/// <summary>
/// The position of a training run, stored as <c>state.json</c> in a <see cref="TrainingCheckpoint"/>: with the weights,
/// the EMA, the optimizer state and the random state this is everything needed to continue bit-identically.
/// </summary>
public sealed record TrainingCheckpointState
{
    public const string CurrentFormat = "hfdiff-training/1";

    public string Format { get; init; } = CurrentFormat;
    /// <summary><see cref="ITrainingObjective.Kind"/> of the run.</summary>
    public string Kind { get; init; } = "";
    /// <summary>Iterations done.</summary>
    public long Iteration { get; init; }
    /// <summary>Rate of the next iteration (after <c>adjust_lr(Iteration)</c>).</summary>
    public double LearningRate { get; init; }
    /// <summary><see cref="ITrainingBatchSource.Position"/> after the last iteration.</summary>
    public long DataPosition { get; init; }
    /// <summary>Iterations skipped as non-finite so far, and how many of the latest ones were consecutive.</summary>
    public long SkippedIterations { get; init; }
    public int ConsecutiveNonFinite { get; init; }
    /// <summary>Settings that must not change between runs (name → text).</summary>
    public Dictionary<string, string> Settings { get; init; } = new(StringComparer.Ordinal);
}
