// Port of SinSR's one-step inference.
// Source: wyf0912/SinSR @ f1735490e980162435391162ddd18c0642327c5b, models/gaussian_diffusion.py
//         (p_sample_loop(one_step=True) → p_sample_loop_progressive: prior_sample, one p_sample at t = T−1, return pred_xstart).
// Paper: Wang et al., "SinSR: Diffusion-Based Image Super-Resolution in a Single Step", CVPR 2024 (student f̂_θ(x_T, y, T)).
using HfDiff.Torch.Schedules;
using static TorchSharp.torch;

namespace HfDiff.Torch.Samplers;

/// <summary>
/// One-step SR with the distilled SinSR student: z_T = z_y + κ√η_T ε, ẑ_0 = f_θ(z_T / divisor[T−1], T−1, lq).
/// </summary>
public sealed class SinSrOneStepSampler : ILatentSrSampler
{
    public SinSrOneStepSampler(ResShiftSchedule schedule, SinSrOneStepSamplerOptions? options = null)
    {
        Schedule = schedule ?? throw new ArgumentNullException(nameof(schedule));
        Options = options ?? new SinSrOneStepSamplerOptions();
    }

    public ResShiftSchedule Schedule { get; }
    public SinSrOneStepSamplerOptions Options { get; }

    /// <summary>The single code index used, T−1.</summary>
    public int Timestep => Schedule.NumTimesteps - 1;

    /// <inheritdoc />
    /// <summary>The prior draw plus the discarded step draw when <c>DrawDiscardedStepNoise</c>; unknown under <c>NoiseRepeat</c>.</summary>
    public int? NoiseDrawsPerSample => Options.NoiseRepeat ? null : Options.DrawDiscardedStepNoise ? 2 : 1;

    public Tensor Sample(Tensor zY, Tensor lq, LatentDenoiser denoiser, INoiseSource noise)
    {
        using var scope = NewDisposeScope();
        var r = Run(zY, lq, denoiser, noise);
        return r.PredXStart.MoveToOuterDisposeScope();
    }

    /// <summary>Draws the prior noise from <paramref name="noise"/> (plus the discarded step noise, see options) and runs the student.</summary>
    public OneStepOutput Run(Tensor zY, Tensor lq, LatentDenoiser denoiser, INoiseSource noise)
    {
        SamplerChecks.Latent(zY, nameof(zY));
        ArgumentNullException.ThrowIfNull(noise);
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        var prior = noise.RandnLike(zY);
        if (Options.NoiseRepeat) prior = SamplerChecks.RepeatFirst(prior);
        var xT = Schedule.PriorSample(zY, prior);
        var r = RunFrom(xT, zY, lq, denoiser);
        // PORT-QUIRK(SinSR, models/gaussian_diffusion.py): p_sample draws its step noise before one_step returns x̂_0.
        if (Options.DrawDiscardedStepNoise) noise.RandnLike(xT).Dispose();
        return new OneStepOutput(xT.MoveToOuterDisposeScope(), r.ModelInput.MoveToOuterDisposeScope(), r.PredXStart.MoveToOuterDisposeScope());
    }

    /// <summary>Runs the student on a given z_T (no noise drawn).</summary>
    public OneStepOutput RunFrom(Tensor xT, Tensor zY, Tensor lq, LatentDenoiser denoiser)
    {
        SamplerChecks.Latent(xT, nameof(xT));
        SamplerChecks.SameShape(xT, zY, nameof(zY), "x_T's shape");
        ArgumentNullException.ThrowIfNull(lq);
        ArgumentNullException.ThrowIfNull(denoiser);
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        var t = ResShiftSchedule.TimestepTensor(Timestep, xT.shape[0], xT.device);
        var modelInput = Schedule.ScaleInput(xT, t);
        var output = SamplerChecks.CallDenoiser(denoiser, modelInput, Schedule.MapTimesteps(t), lq);
        var pred = Schedule.PredictXStart(output, xT, zY, t);
        if (Options.ClipDenoised) pred = pred.clamp(-1, 1);
        return new OneStepOutput(xT.alias().MoveToOuterDisposeScope(), modelInput.MoveToOuterDisposeScope(), pred.MoveToOuterDisposeScope());
    }
}
