using HfDiff.Torch.Losses.Distillation;

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

    /// <summary>Pass the student's <c>pred_zstart</c> of each microbatch to the iteration callback (as <c>Outputs["pred_zstart"]</c>).</summary>
    public bool ReportPredictions { get; init; }
}
