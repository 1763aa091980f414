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
    /// <summary>The chain of <paramref name="layout"/>: its inputs of <paramref name="kind"/> through <paramref name="mapping"/>.</summary>
    public static ITransformer Build(TransformsCatalog catalog, IDataView input, ImageColumnKind kind, ConfiguredMappingLayout layout,
        Func<IHostEnvironment, ITransformer> mapping) =>
        Build(catalog, input, kind, layout.EncodeConfig(), layout.ConfigColumn, layout.Inputs, mapping,
            layout.Outputs.Where(o => o.User is not null).Select(o => (o.User!, o.Internal)).ToList(),
            extraDrop: layout.Outputs.Where(o => o.User is null).Select(o => o.Internal).ToList());

    /// <param name="kind">Kind of the first input column (the Expression transform cannot read image columns, so for
    /// images a placeholder number column is derived first).</param>
    /// <param name="inputs">(internal name, user column) pairs; the first is the one the configuration column is derived from.</param>
    /// <param name="outputs">(user column, internal name) pairs.</param>
    /// <param name="extraDrop">Internal mapping outputs not copied out (dropped too).</param>
    public static ITransformer Build(TransformsCatalog catalog, IDataView input, ImageColumnKind kind, string encodedConfig, string configColumn,
        IReadOnlyList<(string Internal, string User)> inputs, Func<IHostEnvironment, ITransformer> mapping, IReadOnlyList<(string User, string Internal)> outputs,
        IReadOnlyList<string>? extraDrop = null)
    {
        var env = MLNetInternals.EnvironmentOf(catalog);
        var parts = new List<ITransformer>();
        var current = input;
        void Add(ITransformer t) { parts.Add(t); current = t.Transform(current); }

        var drop = new List<string> { configColumn };
        foreach (var (internalName, user) in inputs)
        {
            Add(catalog.CopyColumns(internalName, user).Fit(current));
            drop.Add(internalName);
        }
        var expression = $"x => \"{encodedConfig}\"";
        if (kind == ImageColumnKind.Image)
        {
            Add(catalog.CopyColumns(ScorerColumns.SeedSource, inputs[0].Internal).Fit(current));
            Add(MLNetInternals.CustomMapping(env, new ImageSeedFactory().GetMapping(), ScorerContracts.ImageSeed));
            Add(catalog.Expression(configColumn, expression, ScorerColumns.Seed).Fit(current));
            drop.Add(ScorerColumns.SeedSource);
            drop.Add(ScorerColumns.Seed);
        }
        else
        {
            Add(catalog.Expression(configColumn, expression, inputs[0].Internal).Fit(current));
        }
        Add(mapping(env));
        foreach (var (user, internalName) in outputs)
        {
            Add(catalog.CopyColumns(user, internalName).Fit(current));
            drop.Add(internalName);
        }
        if (extraDrop is not null) drop.AddRange(extraDrop);
        Add(catalog.DropColumns(drop.Distinct().ToArray()).Fit(current));
        return new TransformerChain<ITransformer>(parts.ToArray());
    }
}
