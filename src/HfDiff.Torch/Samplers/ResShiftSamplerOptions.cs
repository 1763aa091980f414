namespace HfDiff.Torch.Samplers;

/// <summary>Options of <see cref="ResShiftSampler"/> (arguments of the reference's <c>p_sample_loop</c>).</summary>
public sealed record ResShiftSamplerOptions
{
    /// <summary>Clamp x̂_0 to [−1, 1] before the posterior. The reference passes <c>clip_denoised = autoencoder is None</c>,
    /// so it is off for latent SR (the official setting).</summary>
    public bool ClipDenoised { get; init; }
    /// <summary><c>noise_repeat</c>: every batch item uses the noise drawn for item 0.</summary>
    public bool NoiseRepeat { get; init; }
}
