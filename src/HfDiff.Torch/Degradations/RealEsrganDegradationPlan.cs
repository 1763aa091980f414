namespace HfDiff.Torch.Degradations;

/// <summary>The noise family of one degradation stage.</summary>
public enum NoiseKind
{
    /// <summary><c>random_add_gaussian_noise_pt</c>: strength is σ on the 0..255 scale.</summary>
    Gaussian,
    /// <summary><c>random_add_poisson_noise_pt</c>: strength is the noise scale.</summary>
    Poisson,
}

/// <summary>
/// The scalar draws of one noise step: family, per-sample strength (σ or scale) and per-sample gray flag (0 or 1),
/// stored as float32 like the reference's <c>torch.rand</c> draws.
/// </summary>
public sealed record NoiseDraw(NoiseKind Kind, IReadOnlyList<float> Strength, IReadOnlyList<float> Gray);

/// <summary>
/// Every random choice of one batch of the Real-ESRGAN second-order degradation, in the reference's terms: the
/// dataset's per-sample kernels and <c>feed_data</c>'s draws. A plan plus an <see cref="INoiseSampler"/> (for the noise
/// fields) fixes the output completely, so a plan can be drawn (<see cref="RealEsrganDegradation.SamplePlan"/>) or
/// written down (replaying stored draws).
/// </summary>
public sealed record RealEsrganDegradationPlan
{
    /// <summary>First blur kernels, one <c>[k, k]</c> (21×21) per sample.</summary>
    public required IReadOnlyList<double[,]> Kernel1 { get; init; }
    /// <summary>Second blur kernels, one per sample.</summary>
    public required IReadOnlyList<double[,]> Kernel2 { get; init; }
    /// <summary>Final sinc kernels: one per sample, or a single kernel shared by the batch.</summary>
    public required IReadOnlyList<double[,]> SincKernel { get; init; }

    /// <summary>First resize: the <c>scale_factor</c> (1 for "keep").</summary>
    public required double Scale1 { get; init; }
    /// <summary>First resize mode.</summary>
    public required ResizeMode Mode1 { get; init; }
    /// <summary>First noise.</summary>
    public required NoiseDraw Noise1 { get; init; }
    /// <summary>First JPEG quality per sample.</summary>
    public required IReadOnlyList<float> JpegQuality1 { get; init; }

    /// <summary>Whether the second blur is applied.</summary>
    public required bool SecondBlur { get; init; }
    /// <summary>Second resize: relative scale; the size is <c>int(H / Scale · Scale2)</c> × <c>int(W / Scale · Scale2)</c>.</summary>
    public required double Scale2 { get; init; }
    /// <summary>Second resize mode.</summary>
    public required ResizeMode Mode2 { get; init; }
    /// <summary>Second noise.</summary>
    public required NoiseDraw Noise2 { get; init; }

    /// <summary>
    /// Final order: true = [resize back + sinc filter] then JPEG; false = JPEG then [resize back + sinc filter].
    /// </summary>
    public required bool ResizeSincBeforeJpeg { get; init; }
    /// <summary>Mode of the final resize to <c>(H // Scale, W // Scale)</c>.</summary>
    public required ResizeMode Mode3 { get; init; }
    /// <summary>Second JPEG quality per sample.</summary>
    public required IReadOnlyList<float> JpegQuality2 { get; init; }
}
