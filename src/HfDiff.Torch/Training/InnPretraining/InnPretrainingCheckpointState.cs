namespace HfDiff.Torch.Training.InnPretraining;

/// <summary>
/// The position of a pretraining run as read from a checkpoint (<see cref="InnPretrainingCheckpoint.ReadState"/>).
/// With the loader's counter-based seeding, (<see cref="Settings"/>["Seed"], <see cref="Epoch"/>, <see cref="NextBatch"/>)
/// is all the data state needed to continue; no dropout or other use of torch's generator happens while training.
/// </summary>
public sealed record InnPretrainingCheckpointState
{
    /// <summary>Iterations done (optimizer steps, skipped non-finite ones included).</summary>
    public long Iteration { get; init; }
    /// <summary>Epoch to continue (0-based); equals the epoch count when training is finished.</summary>
    public int Epoch { get; init; }
    /// <summary>First batch of <see cref="Epoch"/> not trained on yet.</summary>
    public int NextBatch { get; init; }
    /// <summary>Learning rate of the next iteration.</summary>
    public double LearningRate { get; init; }
    /// <summary>Steps skipped so far because the loss or a gradient was not finite.</summary>
    public long SkippedSteps { get; init; }
    /// <summary>Settings that must not change between runs (the core loop's and the pretrainer's), as strings.</summary>
    public Dictionary<string, string> Settings { get; init; } = new(StringComparer.Ordinal);
    public List<InnPretrainingEpochSummary> Validation { get; init; } = [];
}
