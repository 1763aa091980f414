using HfDiff.MLNet.Common;
using HfDiff.MLNet.Imaging;
using HfDiff.Torch.Imaging;
using HfDiff.Torch.Metrics;
using Microsoft.ML.Data;
using TorchSharp;
using static TorchSharp.torch;

namespace HfDiff.MLNet.ImageQuality;

/// <summary>
/// The per-row work of a scorer: decode the images, run the metric. Metrics are built once per configuration and reused
/// by every row; a metric instance is used by one row at a time (torch modules are not re-entrant).
/// </summary>
internal sealed class ScorerMapping
{
    readonly PerConfigCache<ScorerConfig, IImageQualityMetric> _metrics = new(ScorerConfig.Decode, ImageQualityMetricFactory.Create);

    (IImageQualityMetric Metric, ScorerConfig Config, object Gate) Get(string encoded) => _metrics.Get(encoded);

    public float ScorePaths(string config, string distorted, string? reference)
    {
        var (metric, cfg, gate) = Get(config);
        var options = new ImageReadOptions { MaxPixels = cfg.MaxPixels };
        using var scope = NewDisposeScope();
        var d = ImageIO.ReadTensor(distorted, options);
        var r = reference is null ? null : ImageIO.ReadTensor(reference, options);
        return Score(metric, gate, d, r, distorted);
    }

    public float ScoreImages(string config, MLImage? distorted, MLImage? reference)
    {
        var (metric, _, gate) = Get(config);
        if (distorted is null) throw new ArgumentNullException(nameof(distorted), $"{metric.Name}: the distorted image column holds a missing image.");
        using var scope = NewDisposeScope();
        var d = MLImageTensor.ToTensor(distorted);
        Tensor? r = null;
        if (metric.Mode == MetricMode.FullReference)
            r = MLImageTensor.ToTensor(reference ?? throw new ArgumentNullException(nameof(reference), $"{metric.Name}: the reference image column holds a missing image."));
        return Score(metric, gate, d, r, distorted.Tag ?? "image");
    }

    static float Score(IImageQualityMetric metric, object gate, Tensor d, Tensor? r, string what)
    {
        lock (gate)
        {
            using var _ = no_grad();
            try { return (float)metric.Score(d, r); }
            catch (ArgumentException e) { throw new ArgumentException($"{metric.Name} on '{what}': {e.Message}", e); }
        }
    }
}
