using HfDiff.MLNet.Common;

namespace HfDiff.MLNet.ImageQuality;

/// <summary>
/// Everything a scorer needs to rebuild its metric: pyiqa metric name, pyiqa-style settings (e.g. <c>test_y_channel</c>,
/// <c>color_space</c>, <c>crop_border</c>), model directory, device, image limits and batch size. It travels through the pipeline as
/// a constant column made by ML.NET's Expression transform, so a saved model carries it and <c>mlContext.Model.Load</c>
/// restores the scorer without any side file.
/// </summary>
public sealed record ScorerConfig
{
    public required string Metric { get; init; }
    public Dictionary<string, string> Settings { get; init; } = new(StringComparer.OrdinalIgnoreCase);
    public string? ModelDirectory { get; init; }
    public string Device { get; init; } = "cpu";
    public long MaxPixels { get; init; } = Torch.Imaging.ImageReadOptions.Default.MaxPixels;
    /// <summary>Rows scored together (equal-size images share one forward pass); 1 scores row by row.</summary>
    public int BatchSize { get; init; } = ImageQualityScorerOptions.DefaultBatchSize;

    public string Encode() => ConfigCodec.Encode(this);
    public static ScorerConfig Decode(string encoded) => ConfigCodec.Decode<ScorerConfig>(encoded, "scorer");
}
