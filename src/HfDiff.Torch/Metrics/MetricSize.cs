using static TorchSharp.torch;

namespace HfDiff.Torch.Metrics;

/// <summary>
/// Minimum image sizes of the metrics (<see cref="IImageQualityMetric.SizeProblem"/>), checked in managed code before
/// an image reaches libtorch: a too-small image must be a clear error, never a native crash.
/// </summary>
public static class MetricSize
{
    /// <summary>
    /// The reason a <paramref name="height"/>×<paramref name="width"/> image is smaller than <paramref name="minHeight"/>×<paramref name="minWidth"/>,
    /// or null when it is not: <c>lpips needs images of at least 31×31 pixels (AlexNet's stride-4 conv and two 3/2 max-pools); got 16×16.</c>
    /// </summary>
    public static string? AtLeast(string metric, long height, long width, int minHeight, int minWidth, string why) =>
        height >= minHeight && width >= minWidth ? null
            : $"{metric} needs images of at least {minHeight}×{minWidth} pixels ({why}); got {height}×{width}.";

    /// <summary>Throws an <see cref="ArgumentException"/> (message: the one line of <see cref="IImageQualityMetric.SizeProblem"/>) when <paramref name="metric"/> cannot score an image of this size.</summary>
    public static void Require(IImageQualityMetric metric, long height, long width)
    {
        if (metric.SizeProblem(height, width) is { } problem) throw new ArgumentException(problem);
    }

    /// <summary>As <see cref="Require(IImageQualityMetric, long, long)"/> for a (…, H, W) tensor (ignored when it has fewer than 2 dimensions).</summary>
    public static void Require(IImageQualityMetric metric, Tensor image)
    {
        if (image is null || image.ndim < 2) return;
        Require(metric, image.shape[^2], image.shape[^1]);
    }
}
