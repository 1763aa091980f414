namespace HfDiff.Torch.Samplers;

/// <summary>Options of <see cref="SinSrOneStepSampler"/>.</summary>
public sealed record SinSrOneStepSamplerOptions
{
    /// <summary>Clamp x̂_0 to [−1, 1]; off for latent SR, as the reference.</summary>
    public bool ClipDenoised { get; init; }

    /// <summary>
    /// Draw (and discard) the step noise that <c>p_sample</c> makes before <c>one_step</c> returns x̂_0, so a shared
    /// <see cref="INoiseSource"/> advances by 2 per image as in the reference (README quirk 8). Set false to mimic the
    /// <c>ddim=True, one_step=True</c> path, which draws only the prior.
    /// </summary>
    public bool DrawDiscardedStepNoise { get; init; } = true;

    /// <summary><c>noise_repeat</c>: every batch item uses the noise drawn for item 0.</summary>
    public bool NoiseRepeat { get; init; }
}
