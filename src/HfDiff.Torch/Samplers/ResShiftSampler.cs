// Port of ResShift's stochastic T-step sampler.
// Source: zsyOAOA/ResShift @ 3ce1d81e8402fd50083809ae288a3977f6921bdd, models/gaussian_diffusion.py
//         (p_mean_variance, p_sample, p_sample_loop_progressive, prior_sample), models/respace.py (_WrappedModel).
// Paper: Yue et al., "ResShift: Efficient Diffusion Model for Image Super-resolution by Residual Shifting", NeurIPS 2023,
//        Eq. (7) reverse transition p_θ(x_{t−1} | x_t, y) = N(η_{t−1}/η_t · x_t + α_t/η_t · f_θ(x_t, y, t), κ² η_{t−1}/η_t · α_t I).
using HfDiff.Torch.Schedules;
using static TorchSharp.torch;

namespace HfDiff.Torch.Samplers;

/// <summary>
/// The ResShift sampler: x_T = y + κ√η_T ε, then T ancestral steps with the posterior mean/variance of the schedule.
/// Stateless apart from its schedule and options; the loop is in <see cref="Sample"/>, a single transition in
/// <see cref="Step"/> (diffusers-style).
/// </summary>
public sealed class ResShiftSampler : ILatentSrSampler
{
    public ResShiftSampler(ResShiftSchedule schedule, ResShiftSamplerOptions? options = null)
    {
        Schedule = schedule ?? throw new ArgumentNullException(nameof(schedule));
        Options = options ?? new ResShiftSamplerOptions();
    }

    public ResShiftSchedule Schedule { get; }
    public ResShiftSamplerOptions Options { get; }

    /// <summary>Code indices visited by the loop: T−1, …, 0.</summary>
    /// <summary>The prior draw plus one per step (the t = 0 one masked); unknown when <c>NoiseRepeat</c> shares the draws.</summary>
    public int? NoiseDrawsPerSample => Options.NoiseRepeat ? null : 1 + Schedule.NumTimesteps;

    public IReadOnlyList<int> Timesteps => Enumerable.Range(0, Schedule.NumTimesteps).Reverse().ToArray();

    /// <summary>x_T = z_y + κ√η_T · ε (<paramref name="noise"/> ~ N(0, I), same shape as z_y).</summary>
    public Tensor PriorSample(Tensor zY, Tensor noise) => Schedule.PriorSample(zY, noise);

    /// <summary>The network input at index t: x_t divided by the schedule's divisor of t (README quirk 5).</summary>
    public Tensor ScaleModelInput(Tensor sample, int timestep)
    {
        SamplerChecks.Timestep(timestep, Schedule.NumTimesteps, nameof(timestep));
        using var scope = NewDisposeScope();
        var t = ResShiftSchedule.TimestepTensor(timestep, sample.shape[0], sample.device);
        return Schedule.ScaleInput(sample, t).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// One reverse step (<c>p_sample</c>): x̂_0 from the network output (clamped if <see cref="ResShiftSamplerOptions.ClipDenoised"/>),
    /// μ = η_{t−1}/η_t · x_t + α_t/η_t · x̂_0, and x_{t−1} = μ + 1[t≠0] · exp(½ log σ²_t) · ε with the clipped log-variance.
    /// </summary>
    /// <param name="modelOutput">(B,C,h,w) network output at (x_t, t).</param>
    /// <param name="timestep">Code index t in [0, T−1].</param>
    /// <param name="sample">x_t.</param>
    /// <param name="zY">z_y, the LR latent (used by the residual/epsilon parameterisations).</param>
    /// <param name="noise">ε ~ N(0, I) for this step; may be null only at t = 0, where it is masked anyway.</param>
    public ResShiftStepOutput Step(Tensor modelOutput, int timestep, Tensor sample, Tensor zY, Tensor? noise)
    {
        SamplerChecks.Timestep(timestep, Schedule.NumTimesteps, nameof(timestep));
        SamplerChecks.SameShape(sample, modelOutput, nameof(modelOutput), "the sample's shape");
        SamplerChecks.SameShape(sample, zY, nameof(zY), "the sample's shape");
        if (noise is null && timestep != 0)
            throw new ArgumentNullException(nameof(noise), $"noise is required at timestep {timestep} (only t = 0 is noise-free).");
        if (noise is not null) SamplerChecks.SameShape(sample, noise, nameof(noise), "the sample's shape");

        using var scope = NewDisposeScope();
        var t = ResShiftSchedule.TimestepTensor(timestep, sample.shape[0], sample.device);
        var predXStart = Schedule.PredictXStart(modelOutput, sample, zY, t);
        if (Options.ClipDenoised) predXStart = predXStart.clamp(-1, 1);
        var posterior = Schedule.QPosterior(predXStart, sample, t);
        Tensor prev;
        if (noise is null)
            prev = posterior.Mean.alias();
        else
        {
            var eps = Options.NoiseRepeat ? SamplerChecks.RepeatFirst(noise) : noise;
            // nonzero_mask * exp(0.5 * log_variance) * noise, evaluated left to right as the reference.
            var mask = t.ne(0).to_type(ScalarType.Float32).reshape(-1, 1, 1, 1);
            prev = posterior.Mean + mask * (posterior.LogVarianceClipped * 0.5).exp() * eps;
        }
        return new ResShiftStepOutput(prev.MoveToOuterDisposeScope(), predXStart.MoveToOuterDisposeScope(),
            posterior.Mean.MoveToOuterDisposeScope());
    }

    /// <inheritdoc />
    public Tensor Sample(Tensor zY, Tensor lq, LatentDenoiser denoiser, INoiseSource noise) => Sample(zY, lq, denoiser, noise, null);

    /// <summary>
    /// The full chain (<c>p_sample_loop_progressive</c>): draws the prior noise, then one noise per step (T draws, the t = 0
    /// one masked), calling <paramref name="denoiser"/> with x_t / divisor[t], the mapped timestep and <paramref name="lq"/>.
    /// </summary>
    /// <param name="onStep">Optional observer of each step (index t and the step output, valid only during the call).</param>
    public Tensor Sample(Tensor zY, Tensor lq, LatentDenoiser denoiser, INoiseSource noise, Action<int, ResShiftStepOutput>? onStep)
    {
        SamplerChecks.Latent(zY, nameof(zY));
        ArgumentNullException.ThrowIfNull(lq);
        ArgumentNullException.ThrowIfNull(denoiser);
        ArgumentNullException.ThrowIfNull(noise);
        using var noGrad = no_grad();
        using var outer = NewDisposeScope();

        Tensor x;
        using (var scope = NewDisposeScope())
        {
            var prior = noise.RandnLike(zY);
            if (Options.NoiseRepeat) prior = SamplerChecks.RepeatFirst(prior);
            x = Schedule.PriorSample(zY, prior).MoveToOuterDisposeScope();
        }
        foreach (int timestep in Timesteps)
        {
            using var scope = NewDisposeScope();
            var t = ResShiftSchedule.TimestepTensor(timestep, zY.shape[0], zY.device);
            var modelInput = Schedule.ScaleInput(x, t);
            var output = SamplerChecks.CallDenoiser(denoiser, modelInput, Schedule.MapTimesteps(t), lq);
            // PORT-QUIRK(ResShift, models/gaussian_diffusion.py): p_sample draws noise at every step, also at t = 0 where
            // it is masked; kept so a shared noise stream advances by T + 1 draws per image as in the reference.
            var eps = noise.RandnLike(x);
            var step = Step(output, timestep, x, zY, eps);
            onStep?.Invoke(timestep, step);
            x.Dispose();
            x = step.PrevSample.MoveToOuterDisposeScope();
        }
        return x.MoveToOuterDisposeScope();
    }
}
