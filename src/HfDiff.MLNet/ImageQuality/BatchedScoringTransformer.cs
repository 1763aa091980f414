using Microsoft.ML;
using Microsoft.ML.Data;

namespace HfDiff.MLNet.ImageQuality;

/// <summary>
/// Wraps a scorer's custom mapping so that <see cref="Transform"/> scores rows in batches (<see cref="BatchedScoringDataView"/>).
/// Everything else is the mapping's: its output schema, its row-by-row mapper (a PredictionEngine scores one row
/// anyway) and its saved form, so a saved model holds the plain custom mapping and loads with <c>mlContext.Model.Load</c>;
/// <see cref="ImageQualityBatching.Enable"/> wraps the loaded mapping again.
/// </summary>
internal sealed class BatchedScoringTransformer(ITransformer mapping, ScorerMapping scorer) : ITransformer
{
    public ITransformer Mapping { get; } = mapping;

    public bool IsRowToRowMapper => Mapping.IsRowToRowMapper;
    public DataViewSchema GetOutputSchema(DataViewSchema inputSchema) => Mapping.GetOutputSchema(inputSchema);
    public IRowToRowMapper GetRowToRowMapper(DataViewSchema inputSchema) => Mapping.GetRowToRowMapper(inputSchema);
    public IDataView Transform(IDataView input) => new BatchedScoringDataView(input, Mapping.GetOutputSchema(input.Schema), scorer);
    void ICanSaveModel.Save(ModelSaveContext ctx) => Mapping.Save(ctx);
}
