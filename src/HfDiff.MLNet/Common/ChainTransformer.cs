using Microsoft.ML;
using Microsoft.ML.Data;

namespace HfDiff.MLNet.Common;

/// <summary>
/// Base of the fitted HfDiff transforms: a face over a chain of ML.NET transforms plus one custom mapping (see
/// <see cref="ConfiguredMappingChain"/>), so <c>mlContext.Model.Save</c>/<c>Load</c> work unchanged (the loaded model holds that chain).
/// </summary>
public abstract class ChainTransformer : ITransformer
{
    readonly ITransformer _chain;

    private protected ChainTransformer(ITransformer chain) => _chain = chain;

    // Each entry point registers the fixed-size image columns of its input first (Imaging.SizedImageTypes): data of
    // another fixed size than the one seen at Fit is read as well.
    public bool IsRowToRowMapper => _chain.IsRowToRowMapper;

    public DataViewSchema GetOutputSchema(DataViewSchema inputSchema)
    {
        Imaging.SizedImageTypes.RegisterColumns(inputSchema);
        return _chain.GetOutputSchema(inputSchema);
    }

    public IRowToRowMapper GetRowToRowMapper(DataViewSchema inputSchema)
    {
        Imaging.SizedImageTypes.RegisterColumns(inputSchema);
        return _chain.GetRowToRowMapper(inputSchema);
    }

    /// <summary>The chain's output; errors raised while cursoring it come out as raised, not wrapped in ML.NET's worker exceptions.</summary>
    public IDataView Transform(IDataView input)
    {
        Imaging.SizedImageTypes.RegisterColumns(input.Schema);
        return new UnwrappingDataView(_chain.Transform(input));
    }
    void ICanSaveModel.Save(ModelSaveContext ctx) => _chain.Save(ctx);
}
