namespace HfDiff.Torch.Losses.Distillation;

/// <summary>
/// Options of <see cref="SinSrDistillationLoss"/>: the <c>train.*</c> flags <c>TrainerDistillDifIR</c> passes to
/// <c>GaussianDiffusion.training_losses_distill</c>, defaulting to the official <c>SinSR.yaml</c>, plus per-term weights.
/// Only the SinSR.yaml branch is ported; the other reference branches are rejected by <see cref="Validate"/>.
/// </summary>
public sealed record SinSrDistillationLossOptions
{
    /// <summary><c>learn_xT</c>: add the inverse ("learn x_T") term mean((z_T − S(z_0^teacher, t=0))²).</summary>
    public bool LearnXT { get; init; } = true;

    /// <summary>
    /// <c>finetune_use_gt</c>: weight of the consistency-preserving term mean((z_0^gt − S(S(z_0^gt, t=0), T−1))²); 0 disables it
    /// (the reference treats the value both as the switch and as the weight).
    /// </summary>
    public double FinetuneUseGt { get; init; } = 1.0;

    /// <summary><c>distill_ddpm</c>: teacher by the stochastic DDPM chain instead of DDIM. Not ported (must be false).</summary>
    public bool DistillDdpm { get; init; }

    /// <summary><c>uncertainty_hyper</c>: uncertainty-weighted teacher/GT target mix. Not ported (must be 0).</summary>
    public double UncertaintyHyper { get; init; }

    /// <summary><c>xT_cov_loss</c>: covariance loss on the x_T predicted from GT. Not ported (must be 0).</summary>
    public double XTCovLoss { get; init; }

    /// <summary><c>loss_in_image_space</c>: decode before the MSE. Not ported (must be false).</summary>
    public bool LossInImageSpace { get; init; }

    /// <summary>
    /// Extra factor on the distillation term mean((z_0^teacher − S(z_T, T−1))²), on top of the reference's weight
    /// (1, or <c>weight_loss_mse[T−1]</c> when the schedule has <c>weighted_mse</c>). 1 = reference.
    /// </summary>
    public double DistillWeight { get; init; } = 1.0;

    /// <summary>Factor on the learn-x_T term (the reference adds it with weight 1).</summary>
    public double LearnXTWeight { get; init; } = 1.0;

    /// <summary>Throws <see cref="ArgumentOutOfRangeException"/> naming the option, its value and what is allowed.</summary>
    public void Validate()
    {
        if (DistillDdpm)
            throw new ArgumentOutOfRangeException(nameof(DistillDdpm), DistillDdpm,
                "DistillDdpm=true (DDPM teacher chain) is not ported; only the DDIM teacher of SinSR.yaml (false) is supported.");
        if (UncertaintyHyper != 0)
            throw new ArgumentOutOfRangeException(nameof(UncertaintyHyper), UncertaintyHyper,
                "UncertaintyHyper is not ported; it must be 0 (SinSR.yaml).");
        if (XTCovLoss != 0)
            throw new ArgumentOutOfRangeException(nameof(XTCovLoss), XTCovLoss, "XTCovLoss is not ported; it must be 0 (SinSR.yaml).");
        if (LossInImageSpace)
            throw new ArgumentOutOfRangeException(nameof(LossInImageSpace), LossInImageSpace,
                "LossInImageSpace=true is not ported; only latent-space losses (false, SinSR.yaml) are supported.");
        CheckWeight(FinetuneUseGt, nameof(FinetuneUseGt));
        CheckWeight(DistillWeight, nameof(DistillWeight));
        CheckWeight(LearnXTWeight, nameof(LearnXTWeight));
    }

    static void CheckWeight(double w, string name)
    {
        if (!(w >= 0) || double.IsInfinity(w))
            throw new ArgumentOutOfRangeException(name, w, $"{name} must be finite and >= 0; got {w}.");
    }
}
