// Port of SinSR's learning-rate rule.
// Source: wyf0912/SinSR @ f1735490e980162435391162ddd18c0642327c5b, trainer.py (TrainerDifIR.adjust_lr, TrainerBase.train).
using System.Globalization;

namespace HfDiff.Torch.Training.Core;

/// <summary>
/// SinSR's <c>adjust_lr(cur)</c> with <c>train.milestones</c>: if cur ≤ milestones[0], lr = cur / milestones[0] · base;
/// else if cur is a milestone, lr ← lr / 2; otherwise unchanged. With no milestones the rate stays at base.
/// </summary>
/// <remarks>
/// PORT-QUIRK(SinSR, trainer.py): the rate is adjusted only after each iteration, so iteration 1 runs at the full base
/// rate (not base/milestones[0]) and iteration 2 at 1/milestones[0] of it; kept because the released models were trained so.
/// </remarks>
public sealed class SinSrLrSchedule : ILearningRateSchedule
{
    readonly long[] _milestones;

    public SinSrLrSchedule(double lr, IReadOnlyList<long> milestones)
    {
        LrChecks.Positive(lr, nameof(lr));
        ArgumentNullException.ThrowIfNull(milestones);
        if (milestones.Any(m => m < 1))
            throw new ArgumentOutOfRangeException(nameof(milestones), $"milestones must be >= 1; got [{string.Join(", ", milestones)}].");
        InitialLr = lr;
        _milestones = [.. milestones];
    }

    public double InitialLr { get; }
    public IReadOnlyList<long> Milestones => _milestones;

    public double After(long iteration, double current)
    {
        if (_milestones.Length == 0) return current;
        long linear = _milestones[0];
        if (iteration <= linear) return (double)iteration / linear * InitialLr;   // (current_iters / linear_steps) * base_lr
        return Array.IndexOf(_milestones, iteration) >= 0 ? current * 0.5 : current;
    }

    public string Describe() =>
        string.Create(CultureInfo.InvariantCulture, $"sinsr(lr={InitialLr:R}, milestones=[{string.Join(",", _milestones)}])");
}
