// Port of SinSR's deterministic DDIM-like sampler for ResShift (the distillation teacher chain).
// Source: wyf0912/SinSR @ f1735490e980162435391162ddd18c0642327c5b, models/gaussian_diffusion.py
//         (GaussianDiffusion.__init__ ddim_coef1/2, p_mean_variance ddim_k/m/j, ddim_sample, ddim_sample_loop_progressive,
//          training_losses_distill's teacher call).
// Paper: Wang et al., "SinSR: Diffusion-Based Image Super-Resolution in a Single Step", CVPR 2024, Eq. (8):
//        x_{t−1} = k_t x̂_0 + m_t x_t + j_t y with m_t = √(η_{t−1}/η_t), j_t = η_{t−1} − √(η_{t−1} η_t),
//        k_t = 1 − η_{t−1} + √(η_{t−1} η_t) − √(η_{t−1}/η_t).
using HfDiff.Torch.Schedules;
using static TorchSharp.torch;

namespace HfDiff.Torch.Samplers;

/// <summary>
/// SinSR's deterministic ODE-style sampler over the ResShift schedule: one prior draw x_T = y + κ√η_T ε, then T noise-free
/// steps x_{t−1} = k_t · x̂_0 + m_t · x_t + j_t · y. Coefficients are computed in float32 from the float32-cast tables
/// exactly as the reference (ddim_coef1 = η_{t−1}η_t and ddim_coef2 = η_{t−1}/η_t are formed in float64, then cast).
/// </summary>
public sealed class SinSrDdimSampler : ILatentSrSampler
{
    readonly double[] _ddimCoef1, _ddimCoef2;

    public SinSrDdimSampler(ResShiftSchedule schedule, SinSrDdimSamplerOptions? options = null)
    {
        Schedule = schedule ?? throw new ArgumentNullException(nameof(schedule));
        Options = options ?? new SinSrDdimSamplerOptions();
        int n = schedule.NumTimesteps;
        _ddimCoef1 = new double[n];
        _ddimCoef2 = new double[n];
        for (int i = 0; i < n; i++)
        {
            _ddimCoef1[i] = schedule.EtasPrev[i] * schedule.Etas[i];
            _ddimCoef2[i] = schedule.EtasPrev[i] / schedule.Etas[i];
        }
    }

    public ResShiftSchedule Schedule { get; }
    public SinSrDdimSamplerOptions Options { get; }

    /// <summary>Code indices visited by the loop: T−1, …, 0.</summary>
    public IReadOnlyList<int> Timesteps => Enumerable.Range(0, Schedule.NumTimesteps).Reverse().ToArray();

    /// <summary>The network input at index t: x_t / divisor[t].</summary>
    public Tensor ScaleModelInput(Tensor sample, int timestep)
    {
        SamplerChecks.Timestep(timestep, Schedule.NumTimesteps, nameof(timestep));
        using var scope = NewDisposeScope();
        var t = ResShiftSchedule.TimestepTensor(timestep, sample.shape[0], sample.device);
        return Schedule.ScaleInput(sample, t).MoveToOuterDisposeScope();
    }

    /// <summary>The float32 step coefficients (k_t, m_t, j_t) as (B,1,1,1) tensors.</summary>
    public (Tensor K, Tensor M, Tensor J) Coefficients(Tensor t, long ndim)
    {
        using var scope = NewDisposeScope();
        var c1 = ResShiftSchedule.Extract(_ddimCoef1, t, ndim);
        var c2 = ResShiftSchedule.Extract(_ddimCoef2, t, ndim);
        var etasPrev = ResShiftSchedule.Extract(Schedule.EtasPrev, t, ndim);
        var k = (1 - etasPrev) + c1.sqrt() - c2.sqrt();
        var m = c2.sqrt();
        var j = etasPrev - c1.sqrt();
        return (k.MoveToOuterDisposeScope(), m.MoveToOuterDisposeScope(), j.MoveToOuterDisposeScope());
    }

    /// <summary>One deterministic step (<c>ddim_sample</c>): x_{t−1} = k_t · x̂_0 + m_t · x_t + j_t · z_y.</summary>
    public DdimStepOutput Step(Tensor modelOutput, int timestep, Tensor sample, Tensor zY)
    {
        SamplerChecks.Timestep(timestep, Schedule.NumTimesteps, nameof(timestep));
        SamplerChecks.SameShape(sample, modelOutput, nameof(modelOutput), "the sample's shape");
        SamplerChecks.SameShape(sample, zY, nameof(zY), "the sample's shape");
        using var scope = NewDisposeScope();
        var t = ResShiftSchedule.TimestepTensor(timestep, sample.shape[0], sample.device);
        var predXStart = Schedule.PredictXStart(modelOutput, sample, zY, t);
        if (Options.ClipDenoised) predXStart = predXStart.clamp(-1, 1);
        var (k, m, j) = Coefficients(t, sample.dim());
        var prev = predXStart * k + m * sample + j * zY;
        return new DdimStepOutput(prev.MoveToOuterDisposeScope(), predXStart.MoveToOuterDisposeScope());
    }

    /// <summary>Exactly one draw, the prior.</summary>
    public int? NoiseDrawsPerSample => 1;

    /// <inheritdoc />
    /// <remarks>Draws exactly one noise tensor (the prior), README quirk 8.</remarks>
    public Tensor Sample(Tensor zY, Tensor lq, LatentDenoiser denoiser, INoiseSource noise)
    {
        SamplerChecks.Latent(zY, nameof(zY));
        ArgumentNullException.ThrowIfNull(noise);
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        var xT = Schedule.PriorSample(zY, noise.RandnLike(zY));
        return SampleFrom(xT, zY, lq, denoiser, null).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Runs the T deterministic steps from a given x_T (<c>ddim_sample_loop(zT=…)</c>), e.g. the z_t of the distillation loss.
    /// </summary>
    /// <param name="onStep">Optional observer (index t, step output valid during the call).</param>
    public Tensor SampleFrom(Tensor xT, Tensor zY, Tensor lq, LatentDenoiser denoiser, Action<int, DdimStepOutput>? onStep = null)
    {
        SamplerChecks.Latent(xT, nameof(xT));
        SamplerChecks.SameShape(xT, zY, nameof(zY), "x_T's shape");
        ArgumentNullException.ThrowIfNull(lq);
        ArgumentNullException.ThrowIfNull(denoiser);
        using var noGrad = no_grad();
        using var outer = NewDisposeScope();
        var x = xT.alias();
        foreach (int timestep in Timesteps)
        {
            using var scope = NewDisposeScope();
            var t = ResShiftSchedule.TimestepTensor(timestep, zY.shape[0], zY.device);
            var modelInput = Schedule.ScaleInput(x, t);
            var output = SamplerChecks.CallDenoiser(denoiser, modelInput, Schedule.MapTimesteps(t), lq);
            var step = Step(output, timestep, x, zY);
            onStep?.Invoke(timestep, step);
            x.Dispose();
            x = step.PrevSample.MoveToOuterDisposeScope();
        }
        return x.MoveToOuterDisposeScope();
    }
}
