using HfDiff.Torch.Assets;

namespace HfDiff.Torch.Evaluation;

/// <summary>Settings of an <see cref="EvalRunner"/> run.</summary>
public sealed record EvalOptions
{
    /// <summary>Where SR images, per-image scores, tables and the report go; a second run into it resumes.</summary>
    public string OutputFolder { get; init; } = "";
    /// <summary>pyiqa metric names, in table order. Full-reference ones are computed only where a dataset has GT.</summary>
    public IReadOnlyList<string> Metrics { get; init; } = DefaultMetrics;
    public static readonly IReadOnlyList<string> DefaultMetrics = ["psnr", "ssim", "lpips", "niqe", "musiq", "clipiqa"];
    /// <summary>Upscaling factor of every model and of the bicubic baseline.</summary>
    public int Scale { get; init; } = 4;
    /// <summary>Torch device of the SR networks and learned metrics.</summary>
    public string Device { get; init; } = "cpu";
    public ModelDirectory? Models { get; init; }
    /// <summary>This process's slice of every dataset (index, count): image i belongs to shard i mod count.</summary>
    public (int Index, int Count) Shard { get; init; } = (0, 1);
    /// <summary>LR side of the timing table's input (the papers time a fixed input size); 0 = no timing table.</summary>
    public int TimingLrSize { get; init; } = 64;
    /// <summary>Timed runs per model after one warm-up run (the median is reported).</summary>
    public int TimingRuns { get; init; } = 3;

    public bool IsSharded => Shard.Count > 1;
    public string ShardTag => IsSharded ? $".shard-{Shard.Index}-of-{Shard.Count}" : "";

    public void Validate()
    {
        if (string.IsNullOrWhiteSpace(OutputFolder)) throw new ArgumentException("OutputFolder is required.", nameof(OutputFolder));
        if (Metrics.Count == 0) throw new ArgumentException("Metrics names no metric.", nameof(Metrics));
        if (Metrics.Distinct(StringComparer.OrdinalIgnoreCase).Count() != Metrics.Count) throw new ArgumentException("Metrics names a metric twice.", nameof(Metrics));
        if (Scale < 1) throw new ArgumentOutOfRangeException(nameof(Scale), Scale, "Scale must be >= 1.");
        if (Shard.Count < 1 || Shard.Index < 0 || Shard.Index >= Shard.Count)
            throw new ArgumentOutOfRangeException(nameof(Shard), $"shard must be i/N with 0 <= i < N; got {Shard.Index}/{Shard.Count}.");
        if (TimingLrSize < 0) throw new ArgumentOutOfRangeException(nameof(TimingLrSize), TimingLrSize, "TimingLrSize must be >= 0.");
        if (TimingRuns < 1) throw new ArgumentOutOfRangeException(nameof(TimingRuns), TimingRuns, "TimingRuns must be >= 1.");
    }
}
