using HfDiff.Torch.Losses.Distillation;
using HfDiff.Torch.Training.HfDiff;

namespace HfDiff.Torch.Training;

/// <summary>Settings of <see cref="SinSrStudentTrainer"/> beyond the loop's: the distillation flags of the official
/// <c>train:</c> section (<c>learn_xT</c>, <c>finetune_use_gt</c>) and extra loss terms (HF-Diff).</summary>
public sealed record SinSrStudentTrainerOptions
{
    /// <summary>The distillation loss flags and weights; defaults are SinSR.yaml (learn_xT, finetune_use_gt = 1).</summary>
    public SinSrDistillationLossOptions Loss { get; init; } = new();

    /// <summary>
    /// Terms added to the reference loss with their weights, e.g. HF-Diff's high-frequency perceptual loss on
    /// <see cref="SinSrDistillationResult.PredZStart"/> and its DINOv2 distribution-matching loss. Their names and weights
    /// are part of the resume fingerprint; their values go to the CSV log.
    /// </summary>
    public IReadOnlyList<DistillationExtraTerm> ExtraTerms { get; init; } = [];

    /// <summary>
    /// HF-Diff's terms (λ_HF with the INN weights, λ_DM with DINOv2, or a Table 4 baseline), built by
    /// <see cref="SinSrStudentTrainer.Create"/> from the weight files (or from the networks it is given) and appended to
    /// <see cref="ExtraTerms"/>. Default: none (SinSR).
    /// </summary>
    public HfDiffLossOptions HfDiff { get; init; } = new();

    /// <summary>Model directory for the HF-Diff networks' weights (null = <c>--models</c> resolution: $HFDIFF_MODELS, ~/.hfdiff/models).</summary>
    public string? ModelDirectory { get; init; }

    /// <summary>Pass the student's <c>pred_zstart</c> of each microbatch to the iteration callback (as <c>Outputs["pred_zstart"]</c>).</summary>
    public bool ReportPredictions { get; init; }

    /// <summary>
    /// Lower peak memory: the inverse and consistency terms are back-propagated as soon as they are formed, so at most one
    /// student graph is alive instead of three (<see cref="SinSrDistillationLoss.Compute"/>'s <c>earlyBackwardScale</c>).
    /// Same loss values; gradients equal up to float rounding (they accumulate in another order). Off = the official
    /// single backward. Part of the resume fingerprint when on.
    /// </summary>
    public bool EarlyBackward { get; init; }

    /// <summary>
    /// With <see cref="EarlyBackward"/>: the extra terms (HF-Diff's image terms above all) run before the distillation call
    /// builds its graph, on its output from one more student forward without gradients, so the decoder/DINOv2 activations
    /// and the student's are never alive together (<see cref="SinSrDistillationLoss.Compute"/>'s <c>extraTermsFirst</c>).
    /// Costs one student forward per microbatch; the extra terms' values differ from the other order by float rounding only.
    /// Part of the resume fingerprint when on.
    /// </summary>
    public bool ExtraTermsFirst { get; init; }
}
