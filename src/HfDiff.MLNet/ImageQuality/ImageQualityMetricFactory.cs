using HfDiff.Torch.Assets;
using HfDiff.Torch.Metrics;

namespace HfDiff.MLNet.ImageQuality;

/// <summary>Builds torch metrics from a scorer configuration (on its device) through the torch layer's <see cref="MetricRegistry"/>.</summary>
internal static class ImageQualityMetricFactory
{
    public static MetricInfo Describe(string metric) => MetricRegistry.Describe(metric);

    /// <summary>Checks metric name and settings now, so a bad option fails at pipeline construction, not at the first row.</summary>
    public static void Validate(ScorerConfig config) => MetricRegistry.OptionsFor(config.Metric, config.Settings);

    public static IImageQualityMetric Create(ScorerConfig config) =>
        MetricRegistry.Create(config.Metric, config.Settings, ModelDirectory.Resolve(config.ModelDirectory), config.Device);
}
