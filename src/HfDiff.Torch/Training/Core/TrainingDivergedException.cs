namespace HfDiff.Torch.Training.Core;

/// <summary>Thrown when too many consecutive iterations had a non-finite loss or gradient. The checkpoints on disk are
/// those written before; <see cref="LastCheckpoint"/> names the newest.</summary>
public sealed class TrainingDivergedException(string message, long iteration, string? lastCheckpoint) : InvalidOperationException(message)
{
    public long Iteration { get; } = iteration;
    public string? LastCheckpoint { get; } = lastCheckpoint;
}
