using System.Globalization;
using HfDiff.Torch.Training.Core;

namespace HfDiff.Torch.Training.InnPretraining;

/// <summary>StepLR on iterations for the core loop: the step after <c>i</c> steps runs at <see cref="InnPretrainingOptions.LearningRateAt"/>(i).</summary>
public sealed class InnPretrainingLrSchedule(InnPretrainingOptions options) : ILearningRateSchedule
{
    public double InitialLr => options.LearningRateAt(0);
    public double After(long iteration, double current) => options.LearningRateAt(iteration);
    public string Describe() => string.Create(CultureInfo.InvariantCulture,
        $"step(lr={options.LearningRate:R},gamma={options.LrDecayGamma:R},every={options.LrDecayEvery})");
}
