using HfDiff.MLNet.ImageQuality;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Runtime;

namespace HfDiff.MLNet.Common;

/// <summary>
/// Builds the transformer chain every HfDiff transform uses so that <c>mlContext.Model.Save</c>/<c>Load</c> work
/// unchanged: copy the user's input columns to fixed internal names → a constant configuration column (ML.NET's
/// Expression transform, saved with the model) → one custom mapping found by contract name on load → copy the results
/// to the user's output names → drop the internal columns. ML.NET reloads a custom mapping with the column names of its
/// input/output classes, hence the fixed names.
/// </summary>
internal static class ConfiguredMappingChain
{
    /// <summary>
    /// The chain of <paramref name="layout"/>: its inputs, of <paramref name="kind"/> (the Expression transform cannot read
    /// image columns, so for images a placeholder number column is derived first), through <paramref name="mapping"/>.
    /// </summary>
    public static ITransformer Build(TransformsCatalog catalog, IDataView input, ImageColumnKind kind, ConfiguredMappingLayout layout,
        Func<IHostEnvironment, ITransformer> mapping)
    {
        var env = MLNetInternals.EnvironmentOf(catalog);
        var parts = new List<ITransformer>();
        var current = input;
        void Add(ITransformer t) { parts.Add(t); current = t.Transform(current); }

        var drop = new List<string> { layout.ConfigColumn };
        foreach (var (internalName, user) in layout.Inputs)
        {
            Add(catalog.CopyColumns(internalName, user).Fit(current));
            drop.Add(internalName);
        }
        var expression = $"x => \"{layout.EncodeConfig()}\"";
        if (kind == ImageColumnKind.Image)
        {
            Add(catalog.CopyColumns(ScorerColumns.SeedSource, layout.Inputs[0].Internal).Fit(current));
            Add(MLNetInternals.CustomMapping(env, new ImageSeedFactory().GetMapping(), ScorerContracts.ImageSeed));
            Add(catalog.Expression(layout.ConfigColumn, expression, ScorerColumns.Seed).Fit(current));
            drop.Add(ScorerColumns.SeedSource);
            drop.Add(ScorerColumns.Seed);
        }
        else
        {
            Add(catalog.Expression(layout.ConfigColumn, expression, layout.Inputs[0].Internal).Fit(current));
        }
        Add(mapping(env));
        foreach (var (user, internalName, _) in layout.Outputs)
        {
            if (user is not null) Add(catalog.CopyColumns(user, internalName).Fit(current));
        }
        // Emitted outputs first, then the others: the order the saved DropColumns transform has always listed them in.
        drop.AddRange(layout.Outputs.Where(o => o.User is not null).Select(o => o.Internal));
        drop.AddRange(layout.Outputs.Where(o => o.User is null).Select(o => o.Internal));
        Add(catalog.DropColumns(drop.Distinct().ToArray()).Fit(current));
        return new TransformerChain<ITransformer>(parts.ToArray());
    }
}
