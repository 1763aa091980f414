namespace HfDiff.Torch.Training.InnPretraining;

/// <summary>Validation after epoch <see cref="Epoch"/> (1-based): top-1 accuracy over <see cref="Images"/> readable images.</summary>
public sealed record InnPretrainingEpochSummary(int Epoch, long Iteration, double Top1, int Images);
