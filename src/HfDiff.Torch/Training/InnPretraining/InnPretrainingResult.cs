using HfDiff.Torch.Data;
using HfDiff.Torch.Data.Classification;

namespace HfDiff.Torch.Training.InnPretraining;

/// <summary>Outcome of <see cref="InnPretrainer.Train"/>.</summary>
public sealed record InnPretrainingResult
{
    /// <summary>The final weights (safetensors, readable by <c>HfDiffInnFeatureExtractor.LoadWeights</c>).</summary>
    public required string WeightsPath { get; init; }
    /// <summary>Total iterations done, including those of resumed runs.</summary>
    public long Iterations { get; init; }
    /// <summary>True when all epochs ran; false when <see cref="InnPretrainingOptions.MaxIterations"/> stopped the run first.</summary>
    public bool Completed { get; init; }
    /// <summary>Iteration the run resumed at, or null for a fresh start.</summary>
    public long? ResumedFromIteration { get; init; }
    /// <summary>Validation after every finished epoch (including those of earlier runs, read from the checkpoint).</summary>
    public IReadOnlyList<InnPretrainingEpochSummary> Validation { get; init; } = [];
    /// <summary>Unreadable files left out in this run (training and validation).</summary>
    public IReadOnlyList<SkippedImage> Skipped { get; init; } = [];
    public string? LastCheckpointPath { get; init; }
    /// <summary>Steps skipped because the loss or a gradient was not finite, including those of resumed runs.</summary>
    public long SkippedSteps { get; init; }
}
