using HfDiff.MLNet.Common;
using HfDiff.Torch.Metrics;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Runtime;

namespace HfDiff.MLNet.ImageQuality;

/// <summary>
/// Adds one float column with an image-quality score (pyiqa semantics) computed from an image column (and a reference
/// column for full-reference metrics). Columns may hold MLImage values or image file paths.
/// </summary>
public sealed class ImageQualityEstimator : ConfiguredEstimator<ImageQualityTransformer>
{
    readonly ImageQualityScorerOptions _options;
    readonly MetricMode _mode;
    readonly ScorerConfig _config;

    internal ImageQualityEstimator(TransformsCatalog catalog, ImageQualityScorerOptions options, string device) : base(catalog)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (string.IsNullOrWhiteSpace(options.Metric)) throw new ArgumentException("Metric must name a metric (e.g. psnr); got an empty value.", nameof(options));
        var info = ImageQualityMetricFactory.Describe(options.Metric);
        _mode = info.Mode;
        if (_mode == MetricMode.FullReference && string.IsNullOrWhiteSpace(options.ReferenceColumnName))
            throw new ArgumentException($"{options.Metric} is a full-reference metric: ReferenceColumnName is required.", nameof(options));
        if (options.MaxPixels <= 0) throw new ArgumentOutOfRangeException(nameof(options), $"MaxPixels must be > 0; got {options.MaxPixels}.");
        if (options.BatchSize < 1) throw new ArgumentOutOfRangeException(nameof(options), $"BatchSize must be >= 1; got {options.BatchSize}.");
        _options = options;
        _config = new ScorerConfig
        {
            Metric = info.Name,
            Settings = new Dictionary<string, string>(options.MetricSettings, StringComparer.OrdinalIgnoreCase),
            ModelDirectory = options.ModelDirectory,
            Device = device,
            MaxPixels = options.MaxPixels,
            BatchSize = options.BatchSize,
        };
        ImageQualityMetricFactory.Validate(_config); // option errors surface here, not at the first row
    }

    private protected override ConfiguredMappingLayout Layout => new(ScorerColumns.Config, _config.Encode,
        _mode == MetricMode.FullReference
            ? [(ScorerColumns.Distorted, _options.DistortedColumnName), (ScorerColumns.Reference, _options.ReferenceColumnName!)]
            : [(ScorerColumns.Distorted, _options.DistortedColumnName)],
        [(_options.ResolvedOutputColumnName, ScorerColumns.Score, NumberDataViewType.Single)]);

    private protected override Func<IHostEnvironment, ITransformer> PrepareMapping(ImageColumnKind kind)
    {
        // One scorer (one metric instance) serves both the batched view and the row-by-row mapping (PredictionEngine).
        var scorer = new ScorerMapping();
        // The metric is built now (and reused by every row): missing weight files and options its constructor refuses
        // fail here, at Fit, rather than at the first row inside Evaluate.
        scorer.Prepare(_config.Encode());
        return env => new BatchedScoringTransformer((_mode, kind) switch
        {
            (MetricMode.FullReference, ImageColumnKind.Path) => MLNetInternals.CustomMapping(env, FullReferencePathScorerFactory.Map(scorer), ScorerContracts.FullReferencePaths),
            (MetricMode.FullReference, ImageColumnKind.Image) => MLNetInternals.CustomMapping(env, FullReferenceImageScorerFactory.Map(scorer), ScorerContracts.FullReferenceImages),
            (MetricMode.NoReference, ImageColumnKind.Path) => MLNetInternals.CustomMapping(env, NoReferencePathScorerFactory.Map(scorer), ScorerContracts.NoReferencePaths),
            _ => MLNetInternals.CustomMapping(env, NoReferenceImageScorerFactory.Map(scorer), ScorerContracts.NoReferenceImages),
        }, scorer);
    }

    private protected override ImageQualityTransformer CreateTransformer(ITransformer chain) => new(chain, _options.ResolvedOutputColumnName);
}
