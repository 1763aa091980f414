using HfDiff.MLNet.Common;
using HfDiff.MLNet.Imaging;
using HfDiff.Torch.Imaging;
using HfDiff.Torch.Pipelines;
using Microsoft.ML.Data;
using Microsoft.ML.Transforms;
using static TorchSharp.torch;

namespace HfDiff.MLNet.SuperResolution;

internal static class SuperResolveColumns
{
    public const string Input = "__hfdiff_sr_input";
    public const string Config = "__hfdiff_sr_config";
    public const string Output = "__hfdiff_sr_output";
    public const string PathContract = "HfDiff.SuperResolve.Paths";
    public const string ImageContract = "HfDiff.SuperResolve.Images";
}

public sealed class SuperResolvePathInput
{
    [ColumnName(SuperResolveColumns.Input)] public string Input { get; set; } = "";
    [ColumnName(SuperResolveColumns.Config)] public string Config { get; set; } = "";
}

public sealed class SuperResolveImageInput
{
    [ColumnName(SuperResolveColumns.Input)] [AnyImage] public MLImage? Input { get; set; }
    [ColumnName(SuperResolveColumns.Config)] public string Config { get; set; } = "";
}

public sealed class SuperResolveOutput
{
    [ColumnName(SuperResolveColumns.Output)] [AnyImage] public MLImage? Output { get; set; }
}

[CustomMappingFactoryAttribute(SuperResolveColumns.PathContract)]
public sealed class SuperResolvePathFactory : CustomMappingFactory<SuperResolvePathInput, SuperResolveOutput>
{
    public SuperResolvePathFactory() => AnyImageAttribute.EnsureRegistered();

    public override Action<SuperResolvePathInput, SuperResolveOutput> GetMapping()
    {
        var mapping = new SuperResolveMapping();
        return (i, o) => o.Output = mapping.FromPath(i.Config, i.Input);
    }
}

[CustomMappingFactoryAttribute(SuperResolveColumns.ImageContract)]
public sealed class SuperResolveImageFactory : CustomMappingFactory<SuperResolveImageInput, SuperResolveOutput>
{
    public SuperResolveImageFactory() => AnyImageAttribute.EnsureRegistered();

    public override Action<SuperResolveImageInput, SuperResolveOutput> GetMapping()
    {
        var mapping = new SuperResolveMapping();
        return (i, o) => o.Output = mapping.FromImage(i.Config, i.Input);
    }
}

/// <summary>Per-row SR: one <see cref="SuperResolver"/> per configuration, used by one row at a time.</summary>
internal sealed class SuperResolveMapping
{
    readonly PerConfigCache<SuperResolveConfig, SuperResolver> _resolvers = new(SuperResolveConfig.Decode, c => new SuperResolver(c.Resolver));

    (SuperResolver Resolver, SuperResolveConfig Config, object Gate) Get(string encoded) => _resolvers.Get(encoded);

    public MLImage FromPath(string config, string path)
    {
        var (resolver, cfg, gate) = Get(config);
        using var scope = NewDisposeScope();
        return Run(resolver, gate, ImageIO.ReadTensor(path, new ImageReadOptions { MaxPixels = cfg.MaxPixels }));
    }

    public MLImage FromImage(string config, MLImage? image)
    {
        if (image is null) throw new ArgumentNullException(nameof(image), "The SR input column holds a missing image.");
        var (resolver, cfg, gate) = Get(config);
        if ((long)image.Width * image.Height > cfg.MaxPixels)
            throw new ArgumentException($"Image '{image.Tag}' has {image.Width}×{image.Height} pixels, over the limit of {cfg.MaxPixels}.");
        using var scope = NewDisposeScope();
        return Run(resolver, gate, MLImageTensor.ToTensor(image));
    }

    static MLImage Run(SuperResolver resolver, object gate, Tensor lr)
    {
        lock (gate)
        {
            using var sr = resolver.SuperResolve(lr);
            return MLImageTensor.FromTensor(sr);
        }
    }
}
