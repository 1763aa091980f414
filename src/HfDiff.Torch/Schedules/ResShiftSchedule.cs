// Port of the ResShift residual-shifting schedule.
// Source: zsyOAOA/ResShift @ 3ce1d81e8402fd50083809ae288a3977f6921bdd, models/gaussian_diffusion.py
//         (get_named_eta_schedule, GaussianDiffusion.__init__/_scale_input/q_sample/prior_sample/q_posterior_mean_variance),
//         models/respace.py (space_timesteps, SpacedDiffusion), models/script_util.py (create_gaussian_diffusion);
//         identical in wyf0912/SinSR @ f1735490e980162435391162ddd18c0642327c5b.
// Paper: Yue et al., "ResShift: Efficient Diffusion Model for Image Super-resolution by Residual Shifting", NeurIPS 2023.
//
// Notation (paper ↔ code): η_t = etas[t], √η_t = sqrt_etas[t], α_t = η_t − η_{t−1} = alpha[t], κ = kappa,
// forward marginal q(x_t | x_0, y) = N(x_0 + η_t (y − x_0), κ² η_t I),
// posterior q(x_{t−1} | x_t, x_0) = N(η_{t−1}/η_t · x_t + α_t/η_t · x_0, κ² η_{t−1}/η_t · α_t I).
// Index t runs 0..T−1 (code index), i.e. paper step t+1.
using TorchSharp;
using static TorchSharp.torch;

namespace HfDiff.Torch.Schedules;

/// <summary>
/// The ResShift noise schedule: a pure, weightless table of float64 coefficients (as the reference's numpy arrays) plus
/// the elementwise formulas that use them. Values are looked up as the reference's <c>_extract_into_tensor</c> does:
/// index the float64 table, then cast to float32 (README quirk 4). Thread-safe and immutable.
/// </summary>
public sealed class ResShiftSchedule
{
    readonly double[] _sqrtEtas, _etas, _etasPrev, _alpha, _posteriorVariance, _posteriorVarianceClipped,
        _posteriorLogVarianceClipped, _posteriorMeanCoef1, _posteriorMeanCoef2, _weightLossMse, _kappaSqrtEtas;
    readonly long[] _timestepMap;
    readonly float[] _scaleInputDivisor;
    readonly double[] _scaleInputDivisorAsDouble;

    public ResShiftSchedule(ResShiftScheduleOptions? options = null)
    {
        Options = options ?? new ResShiftScheduleOptions();
        Validate(Options);

        double[] baseSqrtEtas = ExponentialSqrtEtas(Options.Steps, Options.MinNoiseLevel, Options.EtasEnd, Options.Kappa, Options.Power);
        // SpacedDiffusion keeps the base steps whose index is in space_timesteps(steps, respacing), in increasing order.
        var use = SpaceTimesteps(Options.Steps, Options.TimestepRespacing ?? Options.Steps);
        _timestepMap = Enumerable.Range(0, Options.Steps).Where(use.Contains).Select(i => (long)i).ToArray();
        _sqrtEtas = _timestepMap.Select(i => baseSqrtEtas[i]).ToArray();

        int n = _sqrtEtas.Length;
        double kappa = Options.Kappa;
        _etas = _sqrtEtas.Select(s => s * s).ToArray();                              // numpy sqrt_etas**2
        for (int i = 0; i < n; i++)
            if (!(_etas[i] > 0 && _etas[i] <= 1))
                throw new ArgumentOutOfRangeException(nameof(options),
                    $"The schedule gives etas[{i}] = {_etas[i]}, outside (0, 1]; check minNoiseLevel/etasEnd/kappa.");
        _etasPrev = new double[n];
        for (int i = 1; i < n; i++) _etasPrev[i] = _etas[i - 1];                      // η_{t−1}, η_{−1} = 0
        _alpha = new double[n];
        for (int i = 0; i < n; i++) _alpha[i] = _etas[i] - _etasPrev[i];              // α_t
        _posteriorVariance = new double[n];
        for (int i = 0; i < n; i++) _posteriorVariance[i] = kappa * kappa * _etasPrev[i] / _etas[i] * _alpha[i];
        // The variance is 0 at t = 0; the reference replaces it by the t = 1 value before taking the log.
        _posteriorVarianceClipped = new double[n];
        for (int i = 0; i < n; i++) _posteriorVarianceClipped[i] = i == 0 ? (n > 1 ? _posteriorVariance[1] : _posteriorVariance[0]) : _posteriorVariance[i];
        _posteriorLogVarianceClipped = _posteriorVarianceClipped.Select(v => Math.Log(v)).ToArray();
        _posteriorMeanCoef1 = new double[n];
        _posteriorMeanCoef2 = new double[n];
        for (int i = 0; i < n; i++)
        {
            _posteriorMeanCoef1[i] = _etasPrev[i] / _etas[i];
            _posteriorMeanCoef2[i] = _alpha[i] / _etas[i];
        }
        _weightLossMse = new double[n];
        for (int i = 0; i < n; i++)
        {
            double r = Options.PredictType is ResShiftPredictType.XStart or ResShiftPredictType.Residual
                ? _alpha[i] / _etas[i]
                : kappa * _alpha[i] / ((1 - _etas[i]) * _sqrtEtas[i]);
            _weightLossMse[i] = 0.5 / _posteriorVarianceClipped[i] * (r * r);
        }
        _kappaSqrtEtas = _sqrtEtas.Select(s => kappa * s).ToArray();                 // numpy kappa * sqrt_etas

        // What _scale_input divides by: the reference's float32 chain float32(η_t)·float32(κ²) + 1 (exact IEEE float32 ops),
        // then a correctly rounded float32 square root. (The reference's torch.sqrt may be 1 ulp off at some t.)
        _scaleInputDivisor = new float[n];
        for (int i = 0; i < n; i++)
            _scaleInputDivisor[i] = Options.LatentFlag
                ? MathF.Sqrt((float)_etas[i] * (float)(kappa * kappa) + 1f)
                : (float)_sqrtEtas[i] * (float)kappa * 3f + 1f;
        _scaleInputDivisorAsDouble = _scaleInputDivisor.Select(v => (double)v).ToArray();
    }

    public ResShiftScheduleOptions Options { get; }
    /// <summary>Number of (respaced) steps; code indices run 0..NumTimesteps−1.</summary>
    public int NumTimesteps => _sqrtEtas.Length;
    public double Kappa => Options.Kappa;

    public IReadOnlyList<double> SqrtEtas => _sqrtEtas;
    public IReadOnlyList<double> Etas => _etas;
    public IReadOnlyList<double> EtasPrev => _etasPrev;
    public IReadOnlyList<double> Alpha => _alpha;
    public IReadOnlyList<double> PosteriorVariance => _posteriorVariance;
    public IReadOnlyList<double> PosteriorVarianceClipped => _posteriorVarianceClipped;
    public IReadOnlyList<double> PosteriorLogVarianceClipped => _posteriorLogVarianceClipped;
    public IReadOnlyList<double> PosteriorMeanCoef1 => _posteriorMeanCoef1;
    public IReadOnlyList<double> PosteriorMeanCoef2 => _posteriorMeanCoef2;
    public IReadOnlyList<double> WeightLossMse => _weightLossMse;
    /// <summary>Respaced index → timestep of the trained model (what the network is conditioned on).</summary>
    public IReadOnlyList<long> TimestepMap => _timestepMap;
    /// <summary>
    /// The float32 value the model input is divided by at index t: √(η_t κ² + 1) when <c>latent_flag</c>
    /// (3κ√η_t + 1 otherwise); 1 is never used here because <c>normalize_input=false</c> skips the division.
    /// </summary>
    public IReadOnlyList<float> ScaleInputDivisorF32 => _scaleInputDivisor;

    // ----------------------------------------------------------------------------------------- table look-ups

    /// <summary>
    /// <c>_extract_into_tensor</c>: <c>from_numpy(table)[t].float()</c> viewed as (B, 1, …, 1) with <paramref name="ndim"/> dims.
    /// </summary>
    public static Tensor Extract(IReadOnlyList<double> table, Tensor t, long ndim)
    {
        using var scope = NewDisposeScope();
        var arr = table as double[] ?? table.ToArray();
        var full = tensor(arr, dtype: ScalarType.Float64, device: t.device);
        var picked = full.index_select(0, t.reshape(-1).to_type(ScalarType.Int64)).to_type(ScalarType.Float32);
        var shape = new long[ndim];
        shape[0] = t.shape[0];
        for (int i = 1; i < ndim; i++) shape[i] = 1;
        return picked.reshape(shape).MoveToOuterDisposeScope();
    }

    /// <summary>A (B,) int64 tensor filled with code index <paramref name="t"/>.</summary>
    public static Tensor TimestepTensor(int t, long batch, Device? device = null) =>
        full(new[] { batch }, t, dtype: ScalarType.Int64, device: device);

    /// <summary>SpacedDiffusion's <c>_WrappedModel</c>: respaced indices → trained-model timesteps.</summary>
    public Tensor MapTimesteps(Tensor t)
    {
        using var scope = NewDisposeScope();
        var map = tensor(_timestepMap, dtype: ScalarType.Int64, device: t.device);
        return map.index_select(0, t.reshape(-1).to_type(ScalarType.Int64)).reshape(t.shape).MoveToOuterDisposeScope();
    }

    // ----------------------------------------------------------------------------------------- formulas

    /// <summary>
    /// <c>_scale_input</c>: x / √(η_t κ² + 1) (latent) or x / (3κ√η_t + 1) (pixel); identity when normalize_input is off.
    /// </summary>
    /// <remarks>PORT-QUIRK(ResShift, models/gaussian_diffusion.py): uses the η of the t passed here, even where the
    /// caller conditions the network on another t (SinSR distillation calls 1 and 2 scale with T−1 and run t=0).</remarks>
    public Tensor ScaleInput(Tensor x, Tensor t)
    {
        if (!Options.NormalizeInput) return x.alias();
        using var scope = NewDisposeScope();
        // The divisor is the precomputed float32 table (correctly rounded), not torch.sqrt: PyTorch's float32 sqrt
        // kernel is not correctly rounded and differs between versions (1.13 vs 2.10 disagree by 1 ulp at some t).
        var divisor = Extract(_scaleInputDivisorAsDouble, t, x.dim());
        return (x / divisor).MoveToOuterDisposeScope();
    }

    /// <summary>x_T = y + κ√η_T · ε (<c>prior_sample</c>; the paper's x_T ~ N(y, κ² η_T I)). (B,C,H,W) float32.</summary>
    public Tensor PriorSample(Tensor y, Tensor noise)
    {
        CheckSameShape(y, noise, nameof(noise));
        using var scope = NewDisposeScope();
        var t = TimestepTensor(NumTimesteps - 1, y.shape[0], y.device);
        return (y + Extract(_kappaSqrtEtas, t, y.dim()) * noise).MoveToOuterDisposeScope();
    }

    /// <summary>x_t = η_t (y − x_0) + x_0 + κ√η_t · ε (<c>q_sample</c>, the forward marginal).</summary>
    public Tensor QSample(Tensor x0, Tensor y, Tensor t, Tensor noise)
    {
        CheckSameShape(x0, noise, nameof(noise));
        using var scope = NewDisposeScope();
        var r = Extract(_etas, t, x0.dim()) * (y - x0) + x0 + Extract(_kappaSqrtEtas, t, x0.dim()) * noise;
        return r.MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Posterior q(x_{t−1} | x_t, x_0): mean = η_{t−1}/η_t · x_t + α_t/η_t · x_0, variance κ² η_{t−1} α_t / η_t and the
    /// clipped log-variance used for sampling (<c>q_posterior_mean_variance</c>).
    /// </summary>
    public ResShiftPosterior QPosterior(Tensor x0, Tensor xT, Tensor t)
    {
        CheckSameShape(xT, x0, nameof(x0));
        using var scope = NewDisposeScope();
        long nd = xT.dim();
        var mean = Extract(_posteriorMeanCoef1, t, nd) * xT + Extract(_posteriorMeanCoef2, t, nd) * x0;
        var variance = Extract(_posteriorVariance, t, nd);
        var logVar = Extract(_posteriorLogVarianceClipped, t, nd);
        return new ResShiftPosterior(mean.MoveToOuterDisposeScope(), variance.MoveToOuterDisposeScope(), logVar.MoveToOuterDisposeScope());
    }

    /// <summary>
    /// Converts the network output into x̂_0 according to <see cref="ResShiftScheduleOptions.PredictType"/>
    /// (<c>p_mean_variance</c>'s branches, before the optional clamp).
    /// </summary>
    public Tensor PredictXStart(Tensor modelOutput, Tensor xT, Tensor y, Tensor t)
    {
        CheckSameShape(xT, modelOutput, nameof(modelOutput));
        using var scope = NewDisposeScope();
        long nd = xT.dim();
        Tensor r = Options.PredictType switch
        {
            ResShiftPredictType.XStart => modelOutput.alias(),
            ResShiftPredictType.Residual => y - modelOutput,
            // (x_t − κ√η_t ε − η_t y) / (1 − η_t)
            ResShiftPredictType.Epsilon => (xT - Extract(_sqrtEtas, t, nd) * Options.Kappa * modelOutput - Extract(_etas, t, nd) * y)
                                           / Extract(_etas.Select(e => 1 - e).ToArray(), t, nd),
            ResShiftPredictType.EpsilonScale => (xT - modelOutput - Extract(_etas, t, nd) * y)
                                                / Extract(_etas.Select(e => 1 - e).ToArray(), t, nd),
            _ => throw new InvalidOperationException($"Unknown predict type {Options.PredictType}."),
        };
        return r.MoveToOuterDisposeScope();
    }

    // ----------------------------------------------------------------------------------------- construction helpers

    /// <summary>
    /// <c>get_named_eta_schedule('exponential')</c>: √η_t = η_start · b^{(t/(T−1))^p · (T−1)} with
    /// b = (η_end/η_start)^{1/(T−1)} and η_start = min(min_noise_level/κ, min_noise_level, √0.001), in float64.
    /// </summary>
    public static double[] ExponentialSqrtEtas(int steps, double minNoiseLevel, double etasEnd, double kappa, double power)
    {
        // PORT-QUIRK(ResShift, models/gaussian_diffusion.py): the "etas_end" argument is used as the end of √η (so
        // η_T = 0.99² here) and the √0.001 cap is part of the pinned commits' etas_start.
        double etasStart = Math.Min(Math.Min(minNoiseLevel / kappa, minNoiseLevel), Math.Sqrt(0.001));
        double increaser = Math.Exp(1.0 / (steps - 1) * Math.Log(etasEnd / etasStart));
        var result = new double[steps];
        double step = 1.0 / (steps - 1);                                                 // np.linspace(0, 1, T)
        for (int i = 0; i < steps; i++)
        {
            double lin = i == steps - 1 ? 1.0 : i * step;
            double powerTimestep = Math.Pow(lin, power) * (steps - 1);
            result[i] = Math.Pow(increaser, powerTimestep) * etasStart;
        }
        return result;
    }

    /// <summary><c>space_timesteps</c>: {int(T/K · x) | x = 0..K−1}.</summary>
    public static HashSet<int> SpaceTimesteps(int numTimesteps, int sampleTimesteps)
    {
        var set = new HashSet<int>();
        for (int x = 0; x < sampleTimesteps; x++) set.Add((int)((double)numTimesteps / sampleTimesteps * x));
        return set;
    }

    static void Validate(ResShiftScheduleOptions o)
    {
        if (o.ScheduleName != "exponential")
            throw new ArgumentOutOfRangeException(nameof(ResShiftScheduleOptions.ScheduleName),
                $"scheduleName must be 'exponential'; got '{o.ScheduleName}' (the 'ldm' .mat schedule is not supported).");
        if (o.Steps < 2) throw new ArgumentOutOfRangeException(nameof(ResShiftScheduleOptions.Steps), $"steps must be >= 2; got {o.Steps}.");
        if (!(o.Kappa > 0) || double.IsInfinity(o.Kappa)) throw new ArgumentOutOfRangeException(nameof(ResShiftScheduleOptions.Kappa), $"kappa must be > 0 and finite; got {o.Kappa}.");
        if (!(o.EtasEnd > 0 && o.EtasEnd <= 1)) throw new ArgumentOutOfRangeException(nameof(ResShiftScheduleOptions.EtasEnd), $"etasEnd must be in (0, 1]; got {o.EtasEnd}.");
        if (!(o.MinNoiseLevel > 0) || double.IsInfinity(o.MinNoiseLevel)) throw new ArgumentOutOfRangeException(nameof(ResShiftScheduleOptions.MinNoiseLevel), $"minNoiseLevel must be > 0 and finite; got {o.MinNoiseLevel}.");
        if (!(o.Power > 0) || double.IsInfinity(o.Power)) throw new ArgumentOutOfRangeException(nameof(ResShiftScheduleOptions.Power), $"power must be > 0 and finite; got {o.Power}.");
        if (o.Sf < 1) throw new ArgumentOutOfRangeException(nameof(ResShiftScheduleOptions.Sf), $"sf must be >= 1; got {o.Sf}.");
        if (!(o.ScaleFactor > 0) || double.IsInfinity(o.ScaleFactor)) throw new ArgumentOutOfRangeException(nameof(ResShiftScheduleOptions.ScaleFactor), $"scaleFactor must be > 0 and finite; got {o.ScaleFactor}.");
        if (o.TimestepRespacing is int k && (k < 1 || k > o.Steps))
            throw new ArgumentOutOfRangeException(nameof(ResShiftScheduleOptions.TimestepRespacing), $"timestepRespacing must be in [1, steps={o.Steps}]; got {k}.");
    }

    static void CheckSameShape(Tensor expected, Tensor actual, string name)
    {
        if (!expected.shape.SequenceEqual(actual.shape))
            throw new ArgumentException($"{name} has shape [{string.Join(", ", actual.shape)}]; expected [{string.Join(", ", expected.shape)}].", name);
    }
}

/// <summary>Posterior q(x_{t−1} | x_t, x̂_0): mean (B,C,H,W) and per-sample (B,1,1,1) variance / clipped log-variance, float32.</summary>
public sealed record ResShiftPosterior(Tensor Mean, Tensor Variance, Tensor LogVarianceClipped);
