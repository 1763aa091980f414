using HfDiff.MLNet.Common;
using HfDiff.MLNet.Imaging;
using Microsoft.ML;
using Microsoft.ML.Runtime;
using Microsoft.ML.Transforms.Image;

namespace HfDiff.MLNet.Degradation;

/// <summary>
/// Degrades an HR image column into an LR column (and the matching GT crop) with Real-ESRGAN's second-order pipeline,
/// seeded per row, so synthetic benchmark pairs (DIV2K-Val / ImageNet-Test style) can be made inside a pipeline.
/// </summary>
public sealed class DegradeEstimator : ConfiguredEstimator<DegradeTransformer>
{
    readonly DegradeOptions _options;
    readonly DegradeConfig _config;

    internal DegradeEstimator(TransformsCatalog catalog, DegradeOptions options) : base(catalog)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentException.ThrowIfNullOrWhiteSpace(options.InputColumnName, nameof(options.InputColumnName));
        ArgumentException.ThrowIfNullOrWhiteSpace(options.OutputColumnName, nameof(options.OutputColumnName));
        ArgumentNullException.ThrowIfNull(options.Degradation, nameof(options.Degradation));
        options.Degradation.Validate();
        if (options.GtSize is int g && (g <= 0 || g % options.Degradation.Scale != 0))
            throw new ArgumentOutOfRangeException(nameof(options), $"GtSize must be a positive multiple of Scale ({options.Degradation.Scale}); got {g}.");
        if (options.GtSize is int size)
        {
            using var probe = new Torch.Degradations.RealEsrganDegradation(options.Degradation);
            if (size < probe.MinimumInputSize)
                throw new ArgumentOutOfRangeException(nameof(options), $"GtSize must be >= {probe.MinimumInputSize} for these degradation options; got {size}.");
        }
        if (options.MaxPixels <= 0) throw new ArgumentOutOfRangeException(nameof(options), $"MaxPixels must be > 0; got {options.MaxPixels}.");
        _options = options;
        _config = new DegradeConfig { Degradation = options.Degradation, GtSize = options.GtSize, Seed = options.Seed, MaxPixels = options.MaxPixels };
        AnyImageAttribute.EnsureRegistered();
    }

    private protected override ConfiguredMappingLayout Layout => new(DegradeColumns.Config, _config.Encode,
        [(DegradeColumns.Input, _options.InputColumnName)],
        [(_options.OutputColumnName, DegradeColumns.Lq, new ImageDataViewType()), (_options.GroundTruthColumnName, DegradeColumns.Gt, new ImageDataViewType())]);

    private protected override Func<IHostEnvironment, ITransformer> PrepareMapping(ImageColumnKind kind) =>
        env => kind == ImageColumnKind.Image
            ? MLNetInternals.CustomMapping(env, new DegradeImageFactory().GetMapping(), DegradeColumns.ImageContract)
            : MLNetInternals.CustomMapping(env, new DegradePathFactory().GetMapping(), DegradeColumns.PathContract);

    private protected override DegradeTransformer CreateTransformer(ITransformer chain) => new(chain);
}

/// <summary>A fitted degradation transform.</summary>
public sealed class DegradeTransformer : ChainTransformer
{
    internal DegradeTransformer(ITransformer chain) : base(chain) { }
}
