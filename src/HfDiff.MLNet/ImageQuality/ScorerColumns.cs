using HfDiff.MLNet.Imaging;
using Microsoft.ML.Data;
using Microsoft.ML.Transforms;

namespace HfDiff.MLNet.ImageQuality;

/// <summary>
/// Fixed internal column names. ML.NET reloads a custom mapping by contract name with the column names of its
/// input/output classes, so each scorer copies the user's columns to these names, maps, copies the score out and
/// drops them again.
/// </summary>
internal static class ScorerColumns
{
    public const string Distorted = "__hfdiff_distorted";
    public const string Reference = "__hfdiff_reference";
    public const string Config = "__hfdiff_scorer_config";
    public const string Score = "__hfdiff_score";
    public const string Seed = "__hfdiff_seed";
    public const string SeedSource = "__hfdiff_seed_source";
}

/// <summary>Contract names of the scorer mappings (one per input kind).</summary>
internal static class ScorerContracts
{
    public const string FullReferencePaths = "HfDiff.ImageQuality.FullReference.Paths";
    public const string FullReferenceImages = "HfDiff.ImageQuality.FullReference.Images";
    public const string NoReferencePaths = "HfDiff.ImageQuality.NoReference.Paths";
    public const string NoReferenceImages = "HfDiff.ImageQuality.NoReference.Images";
    public const string ImageSeed = "HfDiff.ImageQuality.ImageSeed";
}

public sealed class FullReferencePathInput
{
    [ColumnName(ScorerColumns.Distorted)] public string Distorted { get; set; } = "";
    [ColumnName(ScorerColumns.Reference)] public string Reference { get; set; } = "";
    [ColumnName(ScorerColumns.Config)] public string Config { get; set; } = "";
}

public sealed class FullReferenceImageInput
{
    [ColumnName(ScorerColumns.Distorted)] [AnyImage] public MLImage? Distorted { get; set; }
    [ColumnName(ScorerColumns.Reference)] [AnyImage] public MLImage? Reference { get; set; }
    [ColumnName(ScorerColumns.Config)] public string Config { get; set; } = "";
}

public sealed class NoReferencePathInput
{
    [ColumnName(ScorerColumns.Distorted)] public string Distorted { get; set; } = "";
    [ColumnName(ScorerColumns.Config)] public string Config { get; set; } = "";
}

public sealed class NoReferenceImageInput
{
    [ColumnName(ScorerColumns.Distorted)] [AnyImage] public MLImage? Distorted { get; set; }
    [ColumnName(ScorerColumns.Config)] public string Config { get; set; } = "";
}

public sealed class ScoreOutput
{
    [ColumnName(ScorerColumns.Score)] public float Score { get; set; }
}

[CustomMappingFactoryAttribute(ScorerContracts.FullReferencePaths)]
public sealed class FullReferencePathScorerFactory : CustomMappingFactory<FullReferencePathInput, ScoreOutput>
{
    public FullReferencePathScorerFactory() => AnyImageAttribute.EnsureRegistered();

    public override Action<FullReferencePathInput, ScoreOutput> GetMapping() => Map(new ScorerMapping());

    internal static Action<FullReferencePathInput, ScoreOutput> Map(ScorerMapping scorer) => (i, o) => o.Score = scorer.ScorePaths(i.Config, i.Distorted, i.Reference);
}

[CustomMappingFactoryAttribute(ScorerContracts.FullReferenceImages)]
public sealed class FullReferenceImageScorerFactory : CustomMappingFactory<FullReferenceImageInput, ScoreOutput>
{
    public FullReferenceImageScorerFactory() => AnyImageAttribute.EnsureRegistered();

    public override Action<FullReferenceImageInput, ScoreOutput> GetMapping() => Map(new ScorerMapping());

    internal static Action<FullReferenceImageInput, ScoreOutput> Map(ScorerMapping scorer) => (i, o) => o.Score = scorer.ScoreImages(i.Config, i.Distorted, i.Reference);
}

[CustomMappingFactoryAttribute(ScorerContracts.NoReferencePaths)]
public sealed class NoReferencePathScorerFactory : CustomMappingFactory<NoReferencePathInput, ScoreOutput>
{
    public NoReferencePathScorerFactory() => AnyImageAttribute.EnsureRegistered();

    public override Action<NoReferencePathInput, ScoreOutput> GetMapping() => Map(new ScorerMapping());

    internal static Action<NoReferencePathInput, ScoreOutput> Map(ScorerMapping scorer) => (i, o) => o.Score = scorer.ScorePaths(i.Config, i.Distorted, null);
}

[CustomMappingFactoryAttribute(ScorerContracts.NoReferenceImages)]
public sealed class NoReferenceImageScorerFactory : CustomMappingFactory<NoReferenceImageInput, ScoreOutput>
{
    public NoReferenceImageScorerFactory() => AnyImageAttribute.EnsureRegistered();

    public override Action<NoReferenceImageInput, ScoreOutput> GetMapping() => Map(new ScorerMapping());

    internal static Action<NoReferenceImageInput, ScoreOutput> Map(ScorerMapping scorer) => (i, o) => o.Score = scorer.ScoreImages(i.Config, i.Distorted, null);
}

/// <summary>
/// ML.NET's Expression transform (which turns the configuration into a saved constant column) cannot take an image
/// column as its input; for image inputs this mapping first derives a placeholder number column from the image.
/// </summary>
public sealed class ImageSeedInput
{
    [ColumnName(ScorerColumns.SeedSource)] [AnyImage] public MLImage? Source { get; set; }
}

public sealed class SeedOutput
{
    [ColumnName(ScorerColumns.Seed)] public float Seed { get; set; }
}

[CustomMappingFactoryAttribute(ScorerContracts.ImageSeed)]
public sealed class ImageSeedFactory : CustomMappingFactory<ImageSeedInput, SeedOutput>
{
    public ImageSeedFactory() => AnyImageAttribute.EnsureRegistered();

    public override Action<ImageSeedInput, SeedOutput> GetMapping() => static (_, o) => o.Seed = 0;
}
