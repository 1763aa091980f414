using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Transforms;

namespace HfDiff.MLNet.ImageQuality;

/// <summary>
/// A saved model keeps each scorer as a plain ML.NET custom mapping, so <c>mlContext.Model.Load</c> gives a model that
/// scores row by row. <see cref="Enable"/> wraps those mappings again so that the loaded model scores in batches of
/// the size saved with each scorer (<see cref="ImageQualityScorerOptions.BatchSize"/>); scores are the same.
/// </summary>
public static class ImageQualityBatching
{
    /// <summary>The model with every image-quality scorer in it (at any depth of nested chains) scoring in batches.</summary>
    public static ITransformer Enable(ITransformer model)
    {
        ArgumentNullException.ThrowIfNull(model);
        return model switch
        {
            BatchedScoringTransformer => model,
            CustomMappingTransformer<FullReferencePathInput, ScoreOutput>
                or CustomMappingTransformer<FullReferenceImageInput, ScoreOutput>
                or CustomMappingTransformer<NoReferencePathInput, ScoreOutput>
                or CustomMappingTransformer<NoReferenceImageInput, ScoreOutput> => new BatchedScoringTransformer(model, new ScorerMapping()),
            TransformerChain<ITransformer> chain => Rebuild(chain),
            _ => model,
        };
    }

    static ITransformer Rebuild(TransformerChain<ITransformer> chain)
    {
        var parts = chain.ToArray();
        var wrapped = parts.Select(Enable).ToArray();
        if (wrapped.SequenceEqual(parts, ReferenceEqualityComparer.Instance)) return chain;
        // Keep each part's scope (training/scoring) as loaded; the field is private in ML.NET 5.
        var scopes = Common.MLNetInternals.ScopesOf(chain);
        return scopes is not null && scopes.Length == wrapped.Length
            ? new TransformerChain<ITransformer>(wrapped, scopes)
            : new TransformerChain<ITransformer>(wrapped);
    }
}
