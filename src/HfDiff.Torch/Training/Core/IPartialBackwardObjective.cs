namespace HfDiff.Torch.Training.Core;

/// <summary>
/// An objective that back-propagates parts of its loss itself inside <see cref="ITrainingObjective.Compute"/> (to free
/// their graphs early) and returns the rest as the loss. It needs the factor the loop applies to the returned loss before
/// its backward (1 / number of microbatches), which the loop sets before each call.
/// </summary>
public interface IPartialBackwardObjective : ITrainingObjective
{
    /// <summary>The loop's factor on the loss of the next microbatch (1 / number of microbatches of the iteration).</summary>
    double LossScale { set; }
}
