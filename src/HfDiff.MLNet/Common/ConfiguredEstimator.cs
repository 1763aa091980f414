using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Runtime;

namespace HfDiff.MLNet.Common;

/// <summary>
/// Base of the HfDiff estimators (<c>SuperResolve</c>, <c>Degrade</c>, the image-quality scorers): each reads image
/// columns (MLImage or file paths) and adds columns with one custom mapping fed its saved configuration
/// (<see cref="ConfiguredMappingChain"/>). The base checks the input columns, describes the output columns and builds the
/// chain; a concrete estimator validates its options and gives its <see cref="ConfiguredMappingLayout"/> (columns and
/// configuration), its mapping and its transformer.
/// </summary>
public abstract class ConfiguredEstimator<TTransformer> : IEstimator<TTransformer> where TTransformer : ChainTransformer
{
    readonly TransformsCatalog _catalog;

    private protected ConfiguredEstimator(TransformsCatalog catalog) => _catalog = catalog;

    /// <summary>The columns and the encoded configuration, read from the options at each <see cref="Fit"/> and <see cref="GetOutputSchema"/>.</summary>
    private protected abstract ConfiguredMappingLayout Layout { get; }

    /// <summary>
    /// Called by <see cref="Fit"/> once the input columns are checked and before the chain is built (checks that must fail
    /// at Fit rather than at the first row go here); returns the custom mapping for inputs of <paramref name="kind"/>.
    /// </summary>
    private protected abstract Func<IHostEnvironment, ITransformer> PrepareMapping(ImageColumnKind kind);

    /// <summary>The fitted transform over <paramref name="chain"/>.</summary>
    private protected abstract TTransformer CreateTransformer(ITransformer chain);

    public TTransformer Fit(IDataView input)
    {
        ArgumentNullException.ThrowIfNull(input);
        var layout = Layout;
        var kind = layout.CheckInputs(input.Schema);
        var mapping = PrepareMapping(kind);
        return CreateTransformer(ConfiguredMappingChain.Build(_catalog, input, kind, layout, mapping));
    }

    public SchemaShape GetOutputSchema(SchemaShape inputSchema)
    {
        var layout = Layout;
        layout.CheckInputs(inputSchema);
        return layout.OutputSchema(inputSchema);
    }
}

/// <summary>The columns of one configured mapping (<see cref="ConfiguredMappingChain"/>) and its configuration.</summary>
/// <param name="ConfigColumn">Fixed name of the constant configuration column.</param>
/// <param name="EncodeConfig">Encodes the configuration (<see cref="ConfigCodec"/>), saved with the model as that column's
/// value; called by <see cref="ConfiguredMappingChain.Build"/> only, so <c>GetOutputSchema</c> never encodes.</param>
/// <param name="Inputs">(fixed name, user column) of each image input, all of one kind (MLImage or path); the configuration
/// column is derived from the first.</param>
/// <param name="Outputs">(user column, fixed name, type) of each mapping output; a null user column is not emitted (its
/// fixed column is dropped like the others).</param>
internal sealed record ConfiguredMappingLayout(
    string ConfigColumn,
    Func<string> EncodeConfig,
    IReadOnlyList<(string Internal, string User)> Inputs,
    IReadOnlyList<(string? User, string Internal, DataViewType Type)> Outputs)
{
    /// <summary>Estimator side: each input is an image or path column (in order), all of the first one's kind.</summary>
    public ImageColumnKind CheckInputs(SchemaShape schema) => SameKind(Inputs.Select(i => SchemaChecks.ImageColumn(schema, i.User)).ToList());

    /// <summary>Transformer side, as <see cref="CheckInputs(SchemaShape)"/>.</summary>
    public ImageColumnKind CheckInputs(DataViewSchema schema) => SameKind(Inputs.Select(i => SchemaChecks.ImageColumn(schema, i.User)).ToList());

    ImageColumnKind SameKind(IReadOnlyList<ImageColumnKind> kinds)
    {
        for (int i = 1; i < kinds.Count; i++)
            if (kinds[i] != kinds[0])
                throw new ArgumentOutOfRangeException("inputSchema",
                    $"Schema mismatch for input column '{Inputs[i].User}': expected {Name(kinds[0])} like column '{Inputs[0].User}', got {Name(kinds[i])}");
        return kinds[0];
    }

    static string Name(ImageColumnKind kind) => kind == ImageColumnKind.Image ? "Image" : "String";

    /// <summary><paramref name="input"/> with the emitted output columns added (or replaced), in order.</summary>
    public SchemaShape OutputSchema(SchemaShape input)
    {
        var shape = input;
        foreach (var (user, _, type) in Outputs)
            if (user is not null) shape = MLNetInternals.WithScalarColumn(shape, user, type);
        return shape;
    }
}
