using HfDiff.Torch.Degradations;

namespace HfDiff.MLNet.Degradation;

/// <summary>Options of the degradation transform: HR column in, LR (and cropped GT) columns out, Real-ESRGAN settings, seed.</summary>
public sealed class DegradeOptions
{
    /// <summary>HR images: MLImage (any size, or a fixed size as ResizeImages gives) or file paths.</summary>
    public string InputColumnName { get; set; } = "Image";

    /// <summary>Receives the degraded low-resolution MLImage.</summary>
    public string OutputColumnName { get; set; } = "LowResolution";

    /// <summary>Receives the matching ground truth (the HR crop the LR was made from); null = not emitted.</summary>
    public string? GroundTruthColumnName { get; set; } = "GroundTruth";

    /// <summary>Real-ESRGAN second-order pipeline settings (official x4plus defaults).</summary>
    public RealEsrganDegradationOptions Degradation { get; set; } = new();

    /// <summary>GT crop side (seeded crop, reflect-padded when smaller); null = the whole image cropped to a multiple of the scale.</summary>
    public int? GtSize { get; set; } = 256;

    /// <summary>
    /// Base seed. Each row's seed is derived from it and the file name (path columns, as <c>hfdiff degrade</c> does) or the
    /// pixel content (image columns), so results do not depend on row order or threading.
    /// </summary>
    public long Seed { get; set; }

    public long MaxPixels { get; set; } = Torch.Imaging.ImageReadOptions.Default.MaxPixels;
}
