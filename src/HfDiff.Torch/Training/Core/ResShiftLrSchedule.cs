// Port of ResShift's learning-rate rule.
// Source: zsyOAOA/ResShift @ 3ce1d81e8402fd50083809ae288a3977f6921bdd, trainer.py (TrainerDifIR.setup_optimizaton,
//         adjust_lr) and PyTorch 1.13 torch.optim.lr_scheduler.CosineAnnealingLR (its recursive get_lr).
using System.Globalization;

namespace HfDiff.Torch.Training.Core;

/// <summary>
/// ResShift's <c>adjust_lr(cur)</c>: if cur ≤ warmup_iterations, lr = cur / warmup · base; afterwards constant
/// (<c>lr_schedule: ~</c>) or one step of <c>CosineAnnealingLR(T_max = iterations − warmup, eta_min = lr_min)</c>
/// (<c>lr_schedule: cosin</c>).
/// </summary>
/// <remarks>
/// PORT-QUIRK(ResShift, trainer.py): adjusted after each iteration, so iteration 1 runs at the full base rate.
/// The cosine steps use PyTorch's recursive form (it continues from whatever rate the group holds), not the closed form.
/// </remarks>
public sealed class ResShiftLrSchedule : ILearningRateSchedule
{
    public ResShiftLrSchedule(double lr, long warmupIterations, bool cosine = false, double lrMin = 0, long iterations = 0)
    {
        LrChecks.Positive(lr, nameof(lr));
        if (warmupIterations < 0)
            throw new ArgumentOutOfRangeException(nameof(warmupIterations), warmupIterations, $"warmupIterations must be >= 0; got {warmupIterations}.");
        if (cosine)
        {
            if (!(lrMin >= 0 && double.IsFinite(lrMin)))
                throw new ArgumentOutOfRangeException(nameof(lrMin), lrMin, $"lrMin must be >= 0; got {lrMin}.");
            if (iterations <= warmupIterations)
                throw new ArgumentOutOfRangeException(nameof(iterations), iterations,
                    $"The cosine schedule needs iterations > warmupIterations ({warmupIterations}); got {iterations}.");
        }
        InitialLr = lr;
        WarmupIterations = warmupIterations;
        Cosine = cosine;
        LrMin = lrMin;
        Iterations = iterations;
    }

    public double InitialLr { get; }
    public long WarmupIterations { get; }
    public bool Cosine { get; }
    public double LrMin { get; }
    public long Iterations { get; }

    public double After(long iteration, double current)
    {
        if (iteration <= WarmupIterations) return (double)iteration / WarmupIterations * InitialLr;
        if (!Cosine) return current;
        // CosineAnnealingLR.step(): last_epoch = number of scheduler steps so far (the first is at warmup + 1).
        long e = iteration - WarmupIterations, tMax = Iterations - WarmupIterations;
        if (Mod(e - 1 - tMax, 2 * tMax) == 0)
            return current + (InitialLr - LrMin) * (1 - Math.Cos(Math.PI / tMax)) / 2;
        return (1 + Math.Cos(Math.PI * e / tMax)) / (1 + Math.Cos(Math.PI * (e - 1) / tMax)) * (current - LrMin) + LrMin;
    }

    static long Mod(long a, long m) => ((a % m) + m) % m;   // Python's % for a positive modulus

    public string Describe() => Cosine
        ? string.Create(CultureInfo.InvariantCulture, $"resshift(lr={InitialLr:R}, warmup={WarmupIterations}, cosine, lr_min={LrMin:R}, iterations={Iterations})")
        : string.Create(CultureInfo.InvariantCulture, $"resshift(lr={InitialLr:R}, warmup={WarmupIterations})");
}
