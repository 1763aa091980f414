namespace HfDiff.Torch.Losses;

/// <summary>Settings of <see cref="HighFrequencyPerceptualLoss"/>.</summary>
public sealed record HighFrequencyPerceptualLossOptions
{
    public HighFrequencyLossDomain Domain { get; init; } = HighFrequencyLossDomain.VqLatent;
    /// <summary>
    /// λ of the term. Null = the domain default: 0.2 on VQ latents (HF-Diff released code); 1.0 on RGB (no published value).
    /// </summary>
    public double? Weight { get; init; }
    /// <summary>Compute the GT features without gradient (they are a target).</summary>
    public bool DetachTarget { get; init; } = true;

    /// <summary>The weight actually applied.</summary>
    public double EffectiveWeight => Weight ?? (Domain == HighFrequencyLossDomain.VqLatent ? 0.2 : 1.0);

    public void Validate()
    {
        if (Weight is double w && !(w >= 0)) throw new ArgumentOutOfRangeException(nameof(Weight), w, "Weight must be >= 0.");
        if (!Enum.IsDefined(Domain)) throw new ArgumentOutOfRangeException(nameof(Domain), Domain, "Unknown domain.");
    }
}
