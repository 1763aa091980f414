namespace HfDiff.Torch.Training;

/// <summary>Settings of <see cref="ResShiftTeacherTrainer"/> beyond the loop's.</summary>
public sealed record ResShiftTeacherTrainerOptions
{
    /// <summary>Pass each microbatch's <c>pred_zstart</c>, <c>z_t</c> and timesteps <c>t</c> to the iteration callback.</summary>
    public bool ReportPredictions { get; init; }
}
