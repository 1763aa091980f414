using HfDiff.Torch.Pipelines;

namespace HfDiff.MLNet.SuperResolution;

/// <summary>Options of the SR transform: columns plus the super-resolver's settings (checkpoints, steps, device, tiling, seed).</summary>
public sealed class SuperResolveOptions
{
    /// <summary>Column of low-resolution images: MLImage (any size, or a fixed size as ResizeImages gives) or a file path.</summary>
    public string InputColumnName { get; set; } = "Image";

    /// <summary>Column that receives the super-resolved MLImage (×4 for the official models).</summary>
    public string OutputColumnName { get; set; } = "SuperResolved";

    /// <summary>
    /// Model, checkpoints, steps (1 = one-step SinSR/HF-Diff, 15 = ResShift), seed, tiling. Its
    /// <see cref="SuperResolverOptions.Device"/> applies when set and <see cref="Device"/> is not.
    /// </summary>
    public SuperResolverOptions Resolver { get; set; } = new();

    /// <summary>
    /// Torch device of the transform (<c>cpu</c>, <c>cuda</c>, <c>cuda:N</c>); it wins over
    /// MLContext.GpuDeviceId, an explicit <c>"cpu"</c> too. Null (unset) → <see cref="SuperResolverOptions.Device"/> of
    /// <see cref="Resolver"/> when set, else MLContext.GpuDeviceId / FallbackToCpu
    /// (CPU when neither is set). An unavailable device is refused when the estimator is created.
    /// </summary>
    public string? Device { get; set; }

    /// <summary>Input images above this many pixels are refused before decoding.</summary>
    public long MaxPixels { get; set; } = Torch.Imaging.ImageReadOptions.Default.MaxPixels;
}
