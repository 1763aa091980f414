namespace HfDiff.Torch.Training.Core;

/// <summary>
/// A per-iteration learning-rate rule in the official trainers' shape: iteration 1 runs at <see cref="InitialLr"/>, and
/// after iteration <c>cur</c> (1-based) the trainer calls <c>adjust_lr(cur)</c>, here <see cref="After"/>, to get the rate of
/// the next iteration. The rule may depend on the current rate (SinSR halves it), so a checkpoint stores the current rate.
/// </summary>
public interface ILearningRateSchedule
{
    /// <summary>Rate of iteration 1 (the optimizer's constructor <c>lr</c>).</summary>
    double InitialLr { get; }

    /// <summary>The rate after <c>adjust_lr(iteration)</c>, given the rate the iteration ran at.</summary>
    double After(long iteration, double current);

    /// <summary>A stable text naming the rule and its parameters (part of the checkpoint's settings fingerprint).</summary>
    string Describe();
}
