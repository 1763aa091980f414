using System.Globalization;
using HfDiff.Torch.Archs.Taming;

namespace HfDiff.Torch.Training.VqAutoencoder;

/// <summary>taming's GAN losses (<c>disc_loss</c>).</summary>
public enum VqGanLoss
{
    /// <summary><c>hinge_d_loss</c>: ½(mean(relu(1 − D(x))) + mean(relu(1 + D(x̂)))).</summary>
    Hinge,
    /// <summary><c>vanilla_d_loss</c>: ½(mean(softplus(−D(x))) + mean(softplus(D(x̂)))).</summary>
    Vanilla,
}

/// <summary>
/// Settings of <see cref="VqAutoencoderTrainer"/>, named after taming's <c>VQLPIPSWithDiscriminator</c> arguments where
/// one exists. Defaults are taming's constructor defaults (disc_start, which taming requires, defaults to 10000 here).
/// </summary>
public sealed record VqAutoencoderTrainerOptions
{
    /// <summary><c>codebook_weight</c>: weight of the quantizer loss (codebook + β·commitment, legacy placement).</summary>
    public double CodebookWeight { get; init; } = 1.0;
    /// <summary><c>perceptual_weight</c>: weight of the perceptual distance (used only when a perceptual loss is given).</summary>
    public double PerceptualWeight { get; init; } = 1.0;
    /// <summary>The PatchGAN; null trains without a discriminator (L1 + perceptual + quantizer loss only).</summary>
    public NLayerDiscriminatorOptions? Discriminator { get; init; } = new();
    /// <summary><c>disc_start</c>: the GAN terms (generator and discriminator) are off while global_step (iteration − 1) is below this.</summary>
    public long DiscStart { get; init; } = 10_000;
    /// <summary><c>disc_weight</c>: multiplies the adaptive weight λ.</summary>
    public double DiscWeight { get; init; } = 1.0;
    /// <summary><c>disc_factor</c>: multiplies both GAN terms once active.</summary>
    public double DiscFactor { get; init; } = 1.0;
    /// <summary><c>disc_loss</c>.</summary>
    public VqGanLoss DiscLoss { get; init; } = VqGanLoss.Hinge;
    /// <summary>A code counts as dead when no position of this many consecutive iterations' batches used it (ours; logged as <c>dead_codes</c>).</summary>
    public long DeadCodeIterations { get; init; } = 200;
    /// <summary>Re-initialise dead codes from random pre-quantization latents of the batch after each step (ours; off in taming).</summary>
    public bool RestartDeadCodes { get; init; }

    public void Validate()
    {
        NonNegative(CodebookWeight, nameof(CodebookWeight));
        NonNegative(PerceptualWeight, nameof(PerceptualWeight));
        NonNegative(DiscWeight, nameof(DiscWeight));
        NonNegative(DiscFactor, nameof(DiscFactor));
        if (DiscStart < 0) throw new ArgumentOutOfRangeException(nameof(DiscStart), DiscStart, $"DiscStart must be >= 0; got {DiscStart}.");
        if (DeadCodeIterations < 1) throw new ArgumentOutOfRangeException(nameof(DeadCodeIterations), DeadCodeIterations, $"DeadCodeIterations must be >= 1; got {DeadCodeIterations}.");
        if (!Enum.IsDefined(DiscLoss)) throw new ArgumentOutOfRangeException(nameof(DiscLoss), DiscLoss, $"DiscLoss must be Hinge or Vanilla; got {DiscLoss}.");
        Discriminator?.Validate();
    }

    static void NonNegative(double v, string name)
    {
        if (!(v >= 0 && double.IsFinite(v))) throw new ArgumentOutOfRangeException(name, v, $"{name} must be >= 0; got {v.ToString(CultureInfo.InvariantCulture)}.");
    }
}
