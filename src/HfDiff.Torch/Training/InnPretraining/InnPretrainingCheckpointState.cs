namespace HfDiff.Torch.Training.InnPretraining;

/// <summary>
/// The position of a pretraining run, stored as <c>state.json</c> in an <see cref="InnPretrainingCheckpoint"/>.
/// With the loader's counter-based seeding, (<see cref="Settings"/>["Seed"], <see cref="Epoch"/>, <see cref="NextBatch"/>)
/// is all the random state needed to continue: no dropout or other use of torch's generator happens while training.
/// </summary>
public sealed record InnPretrainingCheckpointState
{
    public const string CurrentFormat = "hfdiff-inn-pretraining/1";

    public string Format { get; init; } = CurrentFormat;
    /// <summary>Optimizer steps done.</summary>
    public long Iteration { get; init; }
    /// <summary>Epoch to continue (0-based); equals the epoch count when training is finished.</summary>
    public int Epoch { get; init; }
    /// <summary>First batch of <see cref="Epoch"/> not trained on yet.</summary>
    public int NextBatch { get; init; }
    /// <summary>Learning rate of the last step (informational; the schedule is recomputed from the iteration).</summary>
    public double LearningRate { get; init; }
    /// <summary>Settings that must not change between runs (seed, batch size, network, transform, classes, schedule), as strings.</summary>
    public Dictionary<string, string> Settings { get; init; } = new(StringComparer.Ordinal);
    public List<InnPretrainingEpochSummary> Validation { get; init; } = [];
}
