namespace HfDiff.Torch.Training.InnPretraining;

/// <summary>What an <see cref="InnPretrainingProgress"/> report is about.</summary>
public enum InnPretrainingStage
{
    /// <summary>A training iteration finished (loss, learning rate and throughput are set).</summary>
    Step,
    /// <summary>An epoch ended and the validation folder was scored (<see cref="InnPretrainingProgress.ValidationTop1"/>).</summary>
    Validated,
    /// <summary>A checkpoint was written (<see cref="InnPretrainingProgress.CheckpointPath"/>).</summary>
    CheckpointSaved,
    /// <summary>The run resumed from a checkpoint (<see cref="InnPretrainingProgress.CheckpointPath"/>).</summary>
    Resumed,
}
