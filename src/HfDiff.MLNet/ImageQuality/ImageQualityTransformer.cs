using Microsoft.ML;
using Microsoft.ML.Data;

namespace HfDiff.MLNet.ImageQuality;

/// <summary>
/// A fitted image-quality scorer. It is a thin face over a chain of ML.NET's own transforms plus one custom mapping, so
/// <c>mlContext.Model.Save</c>/<c>Load</c> work unchanged (the loaded model holds that chain).
/// </summary>
public sealed class ImageQualityTransformer : ITransformer
{
    readonly ITransformer _chain;

    /// <summary>The float column this scorer adds.</summary>
    public string OutputColumnName { get; }

    internal ImageQualityTransformer(ITransformer chain, string outputColumnName)
    {
        _chain = chain;
        OutputColumnName = outputColumnName;
    }

    public bool IsRowToRowMapper => _chain.IsRowToRowMapper;
    public DataViewSchema GetOutputSchema(DataViewSchema inputSchema) => _chain.GetOutputSchema(inputSchema);
    public IRowToRowMapper GetRowToRowMapper(DataViewSchema inputSchema) => _chain.GetRowToRowMapper(inputSchema);
    public IDataView Transform(IDataView input) => _chain.Transform(input);
    void ICanSaveModel.Save(ModelSaveContext ctx) => _chain.Save(ctx);
}
