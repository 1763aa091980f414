using System.Text.Json;
using HfDiff.Torch.Imaging;

namespace HfDiff.Torch.Evaluation;

/// <summary>
/// What one run (or shard) of an evaluation covered, written beside its scores so that <see cref="EvalRunner.Merge"/> can
/// build the tables of a sharded run without being told the models, datasets and metrics again.
/// </summary>
public sealed record EvalManifest
{
    public IReadOnlyList<EvalDatasetInfo> Datasets { get; init; } = [];
    public IReadOnlyList<EvalModelInfo> Models { get; init; } = [];
    public IReadOnlyList<EvalMetricInfo> Metrics { get; init; } = [];
    public IReadOnlyList<EvalSkip> Skipped { get; init; } = [];
    public IReadOnlyList<EvalTimingRow> Timing { get; init; } = [];
    public IReadOnlyList<EvalFailure> Failures { get; init; } = [];
    public int ShardIndex { get; init; }
    public int ShardCount { get; init; } = 1;

    static readonly JsonSerializerOptions Json = new() { WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    public static string FolderOf(string outputFolder) => Path.Combine(outputFolder, "runs");

    public void Save(string outputFolder, string shardTag)
    {
        Directory.CreateDirectory(FolderOf(outputFolder));
        AtomicFile.WriteAllText(Path.Combine(FolderOf(outputFolder), $"manifest{shardTag}.json"), JsonSerializer.Serialize(this, Json));
    }

    public static IReadOnlyList<EvalManifest> LoadAll(string outputFolder)
    {
        var dir = FolderOf(outputFolder);
        if (!Directory.Exists(dir)) return [];
        return Directory.GetFiles(dir, "manifest*.json").Order(StringComparer.Ordinal)
            .Select(p =>
            {
                try { return JsonSerializer.Deserialize<EvalManifest>(File.ReadAllText(p), Json) ?? throw new InvalidDataException("empty"); }
                catch (JsonException e) { throw new InvalidDataException($"'{p}' is not an evaluation manifest: {e.Message}", e); }
            }).ToList();
    }
}
