namespace HfDiff.Torch.Training.Validation;

/// <summary>One validation: the mean of each metric over the images it could score, and the files written.</summary>
public sealed record TrainingValidationResult
{
    public required long Iteration { get; init; }
    public required int Images { get; init; }
    /// <summary>Metric name → mean (NaN when no image could be scored).</summary>
    public required IReadOnlyDictionary<string, double> Means { get; init; }
    /// <summary>Per-image errors (image: metric: message), e.g. an image too small for NIQE.</summary>
    public required IReadOnlyList<string> Errors { get; init; }
    public required double Seconds { get; init; }
    public required string CsvPath { get; init; }
    /// <summary>The LR (nearest-upscaled) / SR / GT crop grid, null when <see cref="TrainingValidationOptions.GridImages"/> is 0.</summary>
    public string? GridPath { get; init; }
}
