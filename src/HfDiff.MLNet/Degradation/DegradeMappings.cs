using System.Security.Cryptography;
using HfDiff.MLNet.Common;
using HfDiff.MLNet.Imaging;
using HfDiff.Torch.Data.SrPairs;
using HfDiff.Torch.Degradations;
using HfDiff.Torch.Imaging;
using Microsoft.ML.Data;
using Microsoft.ML.Transforms;
using static TorchSharp.torch;

namespace HfDiff.MLNet.Degradation;

internal static class DegradeColumns
{
    public const string Input = "__hfdiff_deg_input";
    public const string Config = "__hfdiff_deg_config";
    public const string Lq = "__hfdiff_deg_lq";
    public const string Gt = "__hfdiff_deg_gt";
    public const string PathContract = "HfDiff.Degrade.Paths";
    public const string ImageContract = "HfDiff.Degrade.Images";
}

/// <summary>The degradation settings as saved in the model (base64 JSON in a constant column).</summary>
internal sealed record DegradeConfig
{
    public required RealEsrganDegradationOptions Degradation { get; init; }
    public int? GtSize { get; init; }
    public long Seed { get; init; }
    public long MaxPixels { get; init; }

    public string Encode() => ConfigCodec.Encode(this);
    public static DegradeConfig Decode(string encoded) => ConfigCodec.Decode<DegradeConfig>(encoded, "degradation");
}

public sealed class DegradePathInput
{
    [ColumnName(DegradeColumns.Input)] public string Input { get; set; } = "";
    [ColumnName(DegradeColumns.Config)] public string Config { get; set; } = "";
}

public sealed class DegradeImageInput
{
    [ColumnName(DegradeColumns.Input)] [AnyImage] public MLImage? Input { get; set; }
    [ColumnName(DegradeColumns.Config)] public string Config { get; set; } = "";
}

public sealed class DegradeOutput
{
    [ColumnName(DegradeColumns.Lq)] [AnyImage] public MLImage? Lq { get; set; }
    [ColumnName(DegradeColumns.Gt)] [AnyImage] public MLImage? Gt { get; set; }
}

[CustomMappingFactoryAttribute(DegradeColumns.PathContract)]
public sealed class DegradePathFactory : CustomMappingFactory<DegradePathInput, DegradeOutput>
{
    public DegradePathFactory() => AnyImageAttribute.EnsureRegistered();
    public override Action<DegradePathInput, DegradeOutput> GetMapping()
    {
        var m = new DegradeMapping();
        return (i, o) => (o.Lq, o.Gt) = m.FromPath(i.Config, i.Input);
    }
}

[CustomMappingFactoryAttribute(DegradeColumns.ImageContract)]
public sealed class DegradeImageFactory : CustomMappingFactory<DegradeImageInput, DegradeOutput>
{
    public DegradeImageFactory() => AnyImageAttribute.EnsureRegistered();
    public override Action<DegradeImageInput, DegradeOutput> GetMapping()
    {
        var m = new DegradeMapping();
        return (i, o) => (o.Lq, o.Gt) = m.FromImage(i.Config, i.Input);
    }
}

/// <summary>Per-row degradation with one <see cref="SrPairWriter"/> per configuration.</summary>
internal sealed class DegradeMapping
{
    readonly PerConfigCache<DegradeConfig, SrPairWriter> _writers =
        new(DegradeConfig.Decode, c => new SrPairWriter(c.Degradation, readOptions: new ImageReadOptions { MaxPixels = c.MaxPixels }));

    (SrPairWriter Writer, DegradeConfig Config, object Gate) Get(string encoded) => _writers.Get(encoded);

    public (MLImage, MLImage) FromPath(string config, string path)
    {
        var (writer, cfg, gate) = Get(config);
        using var scope = NewDisposeScope();
        var hr = ImageIO.ReadTensor(path, writer.ReadOptions);
        return Run(writer, gate, hr, SrPairSeeds.ForFile(cfg.Seed, Path.GetFileName(path)), cfg.GtSize, path);
    }

    public (MLImage, MLImage) FromImage(string config, MLImage? image)
    {
        if (image is null) throw new ArgumentNullException(nameof(image), "The HR input column holds a missing image.");
        var (writer, cfg, gate) = Get(config);
        using var scope = NewDisposeScope();
        var hr = MLImageTensor.ToTensor(image);
        // Image rows have no name: seed from the pixels so the result does not depend on row order.
        var digest = SHA256.HashData(image.Pixels);
        var seed = SrPairSeeds.Derive(cfg.Seed, BitConverter.ToInt64(digest, 0));
        return Run(writer, gate, hr, seed, cfg.GtSize, image.Tag ?? "image");
    }

    static (MLImage, MLImage) Run(SrPairWriter writer, object gate, Tensor hr, long seed, int? gtSize, string name)
    {
        lock (gate)
        {
            var pair = writer.Degrade(hr, seed, gtSize, name);
            try { return (MLImageTensor.FromTensor(pair.Lq), MLImageTensor.FromTensor(pair.Gt)); }
            finally { pair.Lq.Dispose(); pair.Gt.Dispose(); }
        }
    }
}
