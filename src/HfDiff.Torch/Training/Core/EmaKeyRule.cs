namespace HfDiff.Torch.Training.Core;

/// <summary>Which state-dict entries the official trainers average and which they leave alone or copy.</summary>
public enum EmaKeyRule
{
    /// <summary>
    /// SinSR <c>TrainerDifIR.update_ema_model</c> (also its distillation trainer): every key is averaged except those
    /// containing <c>relative_position_index</c>, which keep their initial value.
    /// </summary>
    SinSr,
    /// <summary>
    /// ResShift <c>TrainerDifIR.update_ema_model</c>: keys containing <c>relative_position_index</c>, <c>running_</c> or
    /// <c>num_batches_tracked</c> are copied from the model; every other key is averaged.
    /// </summary>
    ResShift,
}
