namespace HfDiff.Torch.Samplers;

/// <summary>Options of <see cref="SinSrDdimSampler"/>.</summary>
public sealed record SinSrDdimSamplerOptions
{
    /// <summary>Clamp x̂_0 to [−1, 1]; off for latent SR, as the reference (<c>clip_denoised = autoencoder is None</c>).</summary>
    public bool ClipDenoised { get; init; }
}
