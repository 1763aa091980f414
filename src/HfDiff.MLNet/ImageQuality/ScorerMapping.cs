using System.Runtime.ExceptionServices;
using HfDiff.MLNet.Common;
using HfDiff.MLNet.Imaging;
using HfDiff.Torch.Imaging;
using HfDiff.Torch.Metrics;
using Microsoft.ML.Data;
using TorchSharp;
using static TorchSharp.torch;

namespace HfDiff.MLNet.ImageQuality;

/// <summary>One image of a scorer row: a file path (decoded when scored, under the scorer's pixel limit) or pixels already decoded.</summary>
internal sealed record ScorerImage(string? Path, Tensor? Pixels, string Label)
{
    public static ScorerImage FromPath(string path) => new(path, null, path);
    public static ScorerImage FromImage(MLImage image) => new(null, MLImageTensor.ToTensor(image), image.Tag ?? "image");
}

/// <summary>One row of a batch: its configuration, images, and any error met while reading it.</summary>
internal sealed record ScorerRow(string Config, ScorerImage? Distorted, ScorerImage? Reference, Exception? ReadError = null);

/// <summary>
/// The per-row work of a scorer: decode the images, run the metric. Metrics are built once per configuration (on the
/// configuration's device) and reused by every row; a metric instance is used by one caller at a time (torch modules
/// are not re-entrant). Rows come one at a time (the custom mapping) or in batches (<see cref="BatchedScoringDataView"/>).
/// </summary>
internal sealed class ScorerMapping
{
    readonly PerConfigCache<ScorerConfig, IImageQualityMetric> _metrics = new(ScorerConfig.Decode, ImageQualityMetricFactory.Create);

    (IImageQualityMetric Metric, ScorerConfig Config, object Gate) Get(string encoded) => _metrics.Get(encoded);

    /// <summary>Builds (and caches) the metric of <paramref name="config"/> now; its construction errors are thrown here.</summary>
    public void Prepare(string config) => Get(config);

    /// <summary>The batch size the configuration asks for.</summary>
    public int BatchSizeOf(string config) => Get(config).Config.BatchSize;

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
        if (distorted is null) throw MissingImage(metric, "distorted");
        using var scope = NewDisposeScope();
        var d = MLImageTensor.ToTensor(distorted);
        Tensor? r = null;
        if (metric.Mode == MetricMode.FullReference)
            r = MLImageTensor.ToTensor(reference ?? throw MissingImage(metric, "reference"));
        return Score(metric, gate, d, r, distorted.Tag ?? "image");
    }

    /// <summary>
    /// Scores <paramref name="rows"/> with one <see cref="IImageQualityMetric.ScoreBatch"/> call per configuration.
    /// A row that cannot be read or scored gets its error (the one row-by-row scoring would throw) instead of a score;
    /// the other rows are still scored. Pixels held by the rows are disposed.
    /// </summary>
    public void ScoreBatch(IReadOnlyList<ScorerRow> rows, float[] scores, Exception?[] errors)
    {
        try
        {
            foreach (var group in Enumerable.Range(0, rows.Count).GroupBy(i => rows[i].Config))
                ScoreGroup(group.Key, group.ToArray(), rows, scores, errors);
        }
        finally
        {
            foreach (var row in rows) { row.Distorted?.Pixels?.Dispose(); row.Reference?.Pixels?.Dispose(); }
        }
    }

    void ScoreGroup(string config, int[] indices, IReadOnlyList<ScorerRow> rows, float[] scores, Exception?[] errors)
    {
        (IImageQualityMetric Metric, ScorerConfig Config, object Gate) entry;
        try { entry = Get(config); }
        catch (Exception e) { foreach (var i in indices) errors[i] = e; return; }
        var (metric, cfg, gate) = entry;
        var read = new ImageReadOptions { MaxPixels = cfg.MaxPixels };
        using var scope = NewDisposeScope();
        var kept = new List<int>();
        var d = new List<Tensor>();
        var r = metric.Mode == MetricMode.FullReference ? new List<Tensor>() : null;
        foreach (var i in indices)
        {
            var row = rows[i];
            try
            {
                if (row.ReadError is not null) ExceptionDispatchInfo.Capture(row.ReadError).Throw();
                var dist = Decode(row.Distorted ?? throw MissingImage(metric, "distorted"), read);
                var reference = r is null ? null : Decode(row.Reference ?? throw MissingImage(metric, "reference"), read);
                d.Add(dist);
                r?.Add(reference!);
                kept.Add(i);
            }
            catch (Exception e) { errors[i] = e; }
        }
        if (kept.Count == 0) return;
        (double Score, Exception? Error)[] results;
        lock (gate)
        {
            using var _ = no_grad();
            results = MetricBatching.ScoreEach(metric, d, r);
        }
        for (int k = 0; k < kept.Count; k++)
        {
            int i = kept[k];
            scores[i] = (float)results[k].Score;
            errors[i] = results[k].Error is ArgumentException e ? Named(metric, rows[i].Distorted!.Label, e) : results[k].Error;
        }
    }

    static Tensor Decode(ScorerImage image, ImageReadOptions read) =>
        image.Pixels ?? ImageIO.ReadTensor(image.Path!, read);

    static float Score(IImageQualityMetric metric, object gate, Tensor d, Tensor? r, string what)
    {
        lock (gate)
        {
            using var _ = no_grad();
            return ScoreLocked(metric, d, r, what);
        }
    }

    static float ScoreLocked(IImageQualityMetric metric, Tensor d, Tensor? r, string what)
    {
        try { return (float)metric.Score(d, r); }
        catch (ArgumentException e) { throw Named(metric, what, e); }
    }

    /// <summary>A metric's complaint about an image, with the metric and the image named.</summary>
    static ArgumentException Named(IImageQualityMetric metric, string what, ArgumentException e) => new($"{metric.Name} on '{what}': {e.Message}", e);

    static ArgumentNullException MissingImage(IImageQualityMetric metric, string which) =>
        new(which, $"{metric.Name}: the {which} image column holds a missing image.");
}
