using HfDiff.MLNet.ImageQuality;
using Microsoft.ML;

namespace HfDiff.MLNet.SuperResolution;

/// <summary><c>mlContext.SuperResolution</c>: training and comparing SR models, in the style of ML.NET's task catalogs.</summary>
public sealed class SuperResolutionCatalog
{
    readonly MLContext _context;

    internal SuperResolutionCatalog(MLContext context)
    {
        _context = context;
        Trainers = new SuperResolutionTrainers(context);
    }

    /// <summary>SR trainers: <c>mlContext.SuperResolution.Trainers.HfDiff(options)</c>, <c>.ResShiftTeacher(options)</c>.</summary>
    public SuperResolutionTrainers Trainers { get; }

    /// <summary>
    /// Runs each fitted SR model (<paramref name="models"/>: name → transformer that adds
    /// <see cref="SuperResolutionEvaluationOptions.SuperResolvedColumnName"/>) on <paramref name="data"/> and scores its
    /// output with every metric of <paramref name="options"/> (full-reference metrics against the GT column).
    /// </summary>
    public SuperResolutionComparison Evaluate(IDataView data, IReadOnlyDictionary<string, ITransformer> models, SuperResolutionEvaluationOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(models);
        if (models.Count == 0) throw new ArgumentException("Name at least one model.", nameof(models));
        options ??= new SuperResolutionEvaluationOptions();
        if (options.Metrics.Count == 0) throw new ArgumentException("Metrics names no metric.", nameof(options));
        var metrics = options.Metrics.Select(m => m.ToLowerInvariant()).ToList();
        foreach (var m in metrics)
        {
            if (!Torch.Metrics.MetricRegistry.IsRegistered(m))
                throw new ArgumentException($"Unknown metric '{m}'; known: {string.Join(", ", Torch.Metrics.MetricRegistry.Names)}.", nameof(options));
            if (Torch.Metrics.MetricRegistry.ModeOf(m) == Torch.Metrics.MetricMode.FullReference && options.GroundTruthColumnName is null)
                throw new ArgumentException($"Metric '{m}' needs ground truth: set GroundTruthColumnName.", nameof(options));
        }

        var results = new List<SuperResolutionModelMetrics>();
        foreach (var (name, model) in models)
        {
            var scored = model.Transform(data);
            if (scored.Schema.GetColumnOrNull(options.SuperResolvedColumnName) is null)
                throw new ArgumentException($"Model '{name}' does not produce the column '{options.SuperResolvedColumnName}' (SuperResolvedColumnName).", nameof(models));
            IEstimator<ITransformer>? scorers = null;
            string? gtColumn = options.GroundTruthColumnName;
            var srType = scored.Schema[options.SuperResolvedColumnName].Type;
            if (gtColumn is not null)
            {
                var gt = scored.Schema.GetColumnOrNull(gtColumn)
                    ?? throw new ArgumentOutOfRangeException(nameof(options), $"Could not find input column '{gtColumn}'");
                // The scorers compare like with like: GT paths are loaded as images when the SR column holds images.
                if (gt.Type is Microsoft.ML.Data.TextDataViewType && srType is not Microsoft.ML.Data.TextDataViewType)
                {
                    scorers = _context.Transforms.LoadImages("__HfDiffEval_Gt", null, gtColumn);
                    gtColumn = "__HfDiffEval_Gt";
                }
            }
            foreach (var m in metrics)
            {
                var full = Torch.Metrics.MetricRegistry.ModeOf(m) == Torch.Metrics.MetricMode.FullReference;
                var scorer = _context.Transforms.ImageQuality.Score(new ImageQualityScorerOptions
                {
                    Metric = m, OutputColumnName = ColumnFor(m), DistortedColumnName = options.SuperResolvedColumnName,
                    ReferenceColumnName = full ? gtColumn : null,
                    MetricSettings = Torch.Evaluation.EvalRunner.SettingsFor(m), ModelDirectory = options.ModelDirectory, Device = options.Device,
                });
                scorers = scorers is null ? scorer : scorers.Append(scorer);
            }
            var evaluated = _context.ImageQuality.Evaluate(scorers!.Fit(scored).Transform(scored), metrics.Select(ColumnFor).ToArray());
            results.Add(new SuperResolutionModelMetrics(name, metrics.ToDictionary(m => m, m => evaluated.PerRow[ColumnFor(m)], StringComparer.OrdinalIgnoreCase)));
        }
        return new SuperResolutionComparison(metrics, results);
    }

    static string ColumnFor(string metric) => "__HfDiffEval_" + metric.Replace('+', 'P').Replace('-', '_');
}
