namespace HfDiff.Torch.Training.InnPretraining;

/// <summary>
/// A progress report of <see cref="InnPretrainer.Train"/>, sent synchronously from the training thread (wrap a UI
/// callback in <see cref="Progress{T}"/> to marshal it). <see cref="Epoch"/> is 1-based; <see cref="Iteration"/> counts
/// optimizer steps since the very first run (resumed runs continue the count).
/// </summary>
public sealed record InnPretrainingProgress
{
    public InnPretrainingStage Stage { get; init; }
    public long Iteration { get; init; }
    /// <summary>Planned iterations: all epochs, or <see cref="InnPretrainingOptions.MaxIterations"/> if smaller.</summary>
    public long TotalIterations { get; init; }
    public int Epoch { get; init; }
    public int Epochs { get; init; }
    /// <summary>Batches of the current epoch done (1-based after a step).</summary>
    public int BatchInEpoch { get; init; }
    public int BatchesPerEpoch { get; init; }
    /// <summary>Cross-entropy of the last batch (NaN outside <see cref="InnPretrainingStage.Step"/>).</summary>
    public double Loss { get; init; } = double.NaN;
    public double LearningRate { get; init; }
    /// <summary>Training throughput (exponential moving average over steps, data waiting included).</summary>
    public double ImagesPerSecond { get; init; }
    public double? ValidationTop1 { get; init; }
    public string? CheckpointPath { get; init; }
    /// <summary>Unreadable images skipped so far (training and validation).</summary>
    public int SkippedImages { get; init; }
    /// <summary>Steps skipped so far (earlier, resumed runs included) because the loss or a gradient was not finite (the core <see cref="Core.TrainingLoop"/>'s guard).</summary>
    public long SkippedSteps { get; init; }
}
