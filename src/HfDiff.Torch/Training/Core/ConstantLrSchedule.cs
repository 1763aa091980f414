using System.Globalization;

namespace HfDiff.Torch.Training.Core;

/// <summary>The same rate at every iteration.</summary>
public sealed class ConstantLrSchedule : ILearningRateSchedule
{
    public ConstantLrSchedule(double lr)
    {
        LrChecks.Positive(lr, nameof(lr));
        InitialLr = lr;
    }

    public double InitialLr { get; }
    public double After(long iteration, double current) => current;
    public string Describe() => string.Create(CultureInfo.InvariantCulture, $"constant(lr={InitialLr:R})");
}

static class LrChecks
{
    public static void Positive(double value, string name)
    {
        if (!(value > 0 && double.IsFinite(value)))
            throw new ArgumentOutOfRangeException(name, value, $"{name} must be > 0 and finite; got {value}.");
    }
}
