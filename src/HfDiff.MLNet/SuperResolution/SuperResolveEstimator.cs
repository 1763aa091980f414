using HfDiff.MLNet.Common;
using HfDiff.MLNet.Imaging;
using HfDiff.Torch.Pipelines;
using Microsoft.ML;
using Microsoft.ML.Runtime;
using Microsoft.ML.Transforms.Image;

namespace HfDiff.MLNet.SuperResolution;

/// <summary>
/// Super-resolves an image column (MLImage of any or a fixed size, or file paths) into a new MLImage column with a one-step
/// (SinSR, or a student trained with HF-Diff's terms) or multi-step (ResShift) latent diffusion model loaded from its
/// checkpoints (by default the official SinSR/ResShift files).
/// </summary>
public sealed class SuperResolveEstimator : ConfiguredEstimator<SuperResolveTransformer>
{
    readonly SuperResolveOptions _options;
    readonly SuperResolveConfig _config;

    internal SuperResolveEstimator(TransformsCatalog catalog, SuperResolveOptions options) : base(catalog)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentException.ThrowIfNullOrWhiteSpace(options.InputColumnName, nameof(options.InputColumnName));
        ArgumentException.ThrowIfNullOrWhiteSpace(options.OutputColumnName, nameof(options.OutputColumnName));
        ArgumentNullException.ThrowIfNull(options.Resolver, nameof(options.Resolver));
        if (options.MaxPixels <= 0) throw new ArgumentOutOfRangeException(nameof(options), $"MaxPixels must be > 0; got {options.MaxPixels}.");
        if (options.Resolver.Steps is < 1) throw new ArgumentOutOfRangeException(nameof(options), $"Resolver.Steps must be >= 1; got {options.Resolver.Steps}.");
        _options = options;
        var resolver = options.Resolver with { Device = ResolveDevice(options, MLNetInternals.EnvironmentOf(catalog)) };
        _config = new SuperResolveConfig { Resolver = resolver, MaxPixels = options.MaxPixels };
        AnyImageAttribute.EnsureRegistered();
    }

    /// <summary>The torch device the transform runs on (as resolved when the estimator was created).</summary>
    internal string Device => _config.Resolver.Device!;

    /// <summary>
    /// <see cref="SuperResolveOptions.Device"/> when set; else <see cref="SuperResolverOptions.Device"/> when set (an explicit
    /// <c>"cpu"</c> in either wins over MLContext); else MLContext.GpuDeviceId / FallbackToCpu, CPU when unset. An unknown or
    /// unavailable device throws here.
    /// </summary>
    internal static string ResolveDevice(SuperResolveOptions options, IHostEnvironment env) =>
        DeviceSelection.Resolve(options.Device ?? options.Resolver.Device, env);

    private protected override ConfiguredMappingLayout Layout => new(SuperResolveColumns.Config, _config.Encode,
        [(SuperResolveColumns.Input, _options.InputColumnName)],
        [(_options.OutputColumnName, SuperResolveColumns.Output, new ImageDataViewType())]);

    private protected override Func<IHostEnvironment, ITransformer> PrepareMapping(ImageColumnKind kind)
    {
        // The resolver is built at the first row; its weight files are checked now, as ApplyOnnxModel checks its model.
        SuperResolveWeights.RequirePresent(_config.Resolver);
        return env => kind == ImageColumnKind.Image
            ? MLNetInternals.CustomMapping(env, new SuperResolveImageFactory().GetMapping(), SuperResolveColumns.ImageContract)
            : MLNetInternals.CustomMapping(env, new SuperResolvePathFactory().GetMapping(), SuperResolveColumns.PathContract);
    }

    private protected override SuperResolveTransformer CreateTransformer(ITransformer chain) => new(chain);
}
