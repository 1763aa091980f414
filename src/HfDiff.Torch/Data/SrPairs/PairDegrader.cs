using HfDiff.Torch.Degradations;
using static TorchSharp.torch;

namespace HfDiff.Torch.Data.SrPairs;

/// <summary>Runs <see cref="RealEsrganDegradation"/> from the USM-sharpened GT (Real-ESRGAN) or from the plain GT (ResShift <c>use_sharp: False</c>).</summary>
internal static class PairDegrader
{
    /// <summary>
    /// Same draws for both sources: the plan and noise seed come from <paramref name="seed"/> exactly as
    /// <see cref="RealEsrganDegradation.DegradeBatch"/> takes them; for the plain source the USM stage output is replaced by
    /// the GT through the stage hook.
    /// </summary>
    public static RealEsrganDegradationResult Run(RealEsrganDegradation degradation, Tensor gt, long seed, bool fromSharpenedGt)
    {
        if (fromSharpenedGt) return degradation.DegradeBatch(gt, seed);
        if (gt.shape[2] < degradation.MinimumInputSize || gt.shape[3] < degradation.MinimumInputSize)
            throw new ArgumentException($"gt must be at least {degradation.MinimumInputSize}x{degradation.MinimumInputSize} for these options; got {gt.shape[2]}x{gt.shape[3]}.", nameof(gt));
        var rng = new DegradationRandom(seed);
        var plan = degradation.SamplePlan((int)gt.shape[0], rng);
        using var sampler = new TorchNoiseSampler(rng.NextInt64());
        return degradation.Degrade(gt, plan, sampler, (stage, output) => stage == RealEsrganStages.GtUsm ? gt : output);
    }
}
