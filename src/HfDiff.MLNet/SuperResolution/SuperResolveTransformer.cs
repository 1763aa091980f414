using Microsoft.ML;
using Microsoft.ML.Data;

namespace HfDiff.MLNet.SuperResolution;

/// <summary>A fitted SR transform; a face over ML.NET transforms plus one custom mapping, so Model.Save/Load work unchanged.</summary>
public sealed class SuperResolveTransformer : ITransformer
{
    readonly ITransformer _chain;
    internal SuperResolveTransformer(ITransformer chain) => _chain = chain;

    public bool IsRowToRowMapper => _chain.IsRowToRowMapper;
    public DataViewSchema GetOutputSchema(DataViewSchema inputSchema) => _chain.GetOutputSchema(inputSchema);
    public IRowToRowMapper GetRowToRowMapper(DataViewSchema inputSchema) => _chain.GetRowToRowMapper(inputSchema);
    public IDataView Transform(IDataView input) => _chain.Transform(input);
    void ICanSaveModel.Save(ModelSaveContext ctx) => _chain.Save(ctx);
}
