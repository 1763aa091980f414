namespace HfDiff.Torch.Training.Core;

/// <summary>Summary of <see cref="TrainingLoop.Run"/>.</summary>
public sealed record TrainingResult
{
    /// <summary>Iterations done in total (including those of earlier runs).</summary>
    public required long Iterations { get; init; }
    /// <summary>True when <see cref="TrainingLoopOptions.Iterations"/> were reached (false when cancelled).</summary>
    public required bool Completed { get; init; }
    public long? ResumedFromIteration { get; init; }
    /// <summary>Iterations whose step was skipped (non-finite), in this run and earlier ones.</summary>
    public required long SkippedIterations { get; init; }
    public string? LastCheckpointPath { get; init; }
    /// <summary>The final plain state dicts (official keys; <c>.pth</c>), written when completed.</summary>
    public string? ModelPath { get; init; }
    public string? EmaPath { get; init; }
    public required string LogPath { get; init; }
}
