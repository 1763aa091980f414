// Port of the training-data synthesis of xinntao/Real-ESRGAN: realesrgan/models/realesrgan_model.py
// RealESRGANModel.feed_data (train branch) and the kernel draws of realesrgan/data/realesrgan_dataset.py
// (commit a4abfb2979a7bbff3f69f58f58ae324608821e27), on the BasicSR functions of commit
// 8d56e3a045f9fb3e1d8872f92ee4a4f07f886b0a. Paper: Wang et al., "Real-ESRGAN: Training Real-World Blind
// Super-Resolution with Pure Synthetic Data", ICCVW 2021 (Sec. 3, second-order degradation).
using static TorchSharp.torch;

namespace HfDiff.Torch.Degradations;

/// <summary>
/// The Real-ESRGAN second-order degradation on batched GT tensors <c>(B, 3, H, W)</c> in [0, 1]:
/// USM-sharpen → blur(kernel1) → resize(scale_factor) → Gaussian/Poisson noise → JPEG →
/// [blur(kernel2)] → resize(size) → noise → {[resize back + sinc] then JPEG | JPEG then [resize back + sinc]} →
/// round to 8 bits. Not included (as in the reference these belong to the dataset/trainer): the 400-pixel crop/pad,
/// flips, <c>paired_random_crop</c> and the training-pair queue.
/// </summary>
public sealed class RealEsrganDegradation : IDisposable
{
    static readonly ResizeMode[] Modes = [ResizeMode.Area, ResizeMode.Bilinear, ResizeMode.Bicubic];

    readonly UsmSharp _usm;
    readonly DiffJpeg _jpeg;

    public RealEsrganDegradation(RealEsrganDegradationOptions? options = null)
    {
        Options = options ?? new RealEsrganDegradationOptions();
        Options.Validate();
        _usm = new UsmSharp(Options.UsmRadius);
        _jpeg = new DiffJpeg(differentiable: false);
        MinimumInputSize = ComputeMinimumInputSize(Options, _usm.Radius);
    }

    public RealEsrganDegradationOptions Options { get; }

    /// <summary>
    /// The smallest GT height/width for which every possible draw works (the reflect padding of the 21×21 kernels and of
    /// the USM kernel needs images larger than half the kernel after each resize); 74 for the default options.
    /// </summary>
    public int MinimumInputSize { get; }

    /// <summary>
    /// Degrades a batch with all draws derived from <paramref name="seed"/> (same seed and input → identical output).
    /// </summary>
    /// <param name="gt">GT batch <c>(B, 3, H, W)</c>, float, in [0, 1]; H and W ≥ <see cref="MinimumInputSize"/>. Not modified.</param>
    /// <param name="seed">Seed of the scalar draws (<see cref="DegradationRandom"/>) and of the noise fields (<see cref="TorchNoiseSampler"/>).</param>
    /// <returns>
    /// <see cref="RealEsrganDegradationResult.Lq"/> <c>(B, 3, H // Scale, W // Scale)</c>, the input GT and the
    /// USM-sharpened GT (which the LQ is made from; the default L1/perceptual target), plus the drawn plan.
    /// </returns>
    public RealEsrganDegradationResult DegradeBatch(Tensor gt, long seed)
    {
        CheckGt(gt);
        if (gt.shape[2] < MinimumInputSize || gt.shape[3] < MinimumInputSize)
            throw new ArgumentException($"gt must be at least {MinimumInputSize}x{MinimumInputSize} for these options (kernel padding after the worst-case resizes); got {gt.shape[2]}x{gt.shape[3]}.", nameof(gt));
        var rng = new DegradationRandom(seed);
        var plan = SamplePlan((int)gt.shape[0], rng);
        using var sampler = new TorchNoiseSampler(rng.NextInt64());
        return Degrade(gt, plan, sampler);
    }

    /// <summary>
    /// Draws every random choice of one batch in the reference's order: per sample kernel1, kernel2 and the final sinc
    /// kernel (<see cref="KernelSampler.SampleDatasetKernels"/>), then <c>feed_data</c>'s draws.
    /// </summary>
    public RealEsrganDegradationPlan SamplePlan(int batchSize, DegradationRandom rng)
    {
        if (batchSize < 1) throw new ArgumentOutOfRangeException(nameof(batchSize), $"batchSize must be >= 1; got {batchSize}.");
        ArgumentNullException.ThrowIfNull(rng);
        var o = Options;
        var kernels = Enumerable.Range(0, batchSize).Select(_ => KernelSampler.SampleDatasetKernels(rng, o)).ToArray();

        double scale1 = DrawScale(rng, o.ResizeProb, o.ResizeRange);
        var mode1 = rng.Choice(Modes);
        var noise1 = DrawNoise(rng, batchSize, o.GaussianNoiseProb, o.NoiseRange, o.PoissonScaleRange, o.GrayNoiseProb);
        var jpeg1 = DrawQualities(rng, batchSize, o.JpegRange);

        bool secondBlur = rng.NextDouble() < o.SecondBlurProb;
        double scale2 = DrawScale(rng, o.ResizeProb2, o.ResizeRange2);
        var mode2 = rng.Choice(Modes);
        var noise2 = DrawNoise(rng, batchSize, o.GaussianNoiseProb2, o.NoiseRange2, o.PoissonScaleRange2, o.GrayNoiseProb2);

        bool resizeFirst = rng.NextDouble() < o.FinalOrderProb;
        ResizeMode mode3;
        float[] jpeg2;
        if (resizeFirst)
        {
            mode3 = rng.Choice(Modes);
            jpeg2 = DrawQualities(rng, batchSize, o.JpegRange2);
        }
        else
        {
            jpeg2 = DrawQualities(rng, batchSize, o.JpegRange2);
            mode3 = rng.Choice(Modes);
        }

        return new RealEsrganDegradationPlan
        {
            Kernel1 = kernels.Select(k => k.Kernel1).ToArray(),
            Kernel2 = kernels.Select(k => k.Kernel2).ToArray(),
            SincKernel = kernels.Select(k => k.SincKernel).ToArray(),
            Scale1 = scale1, Mode1 = mode1, Noise1 = noise1, JpegQuality1 = jpeg1,
            SecondBlur = secondBlur, Scale2 = scale2, Mode2 = mode2, Noise2 = noise2,
            ResizeSincBeforeJpeg = resizeFirst, Mode3 = mode3, JpegQuality2 = jpeg2,
        };
    }

    /// <summary>
    /// Runs the pipeline with fixed draws: the scalar choices and kernels from <paramref name="plan"/>, the noise fields
    /// from <paramref name="sampler"/> (called in the reference's order). <paramref name="hook"/> sees every stage
    /// output (<see cref="RealEsrganStages"/>) and may substitute it.
    /// </summary>
    public RealEsrganDegradationResult Degrade(Tensor gt, RealEsrganDegradationPlan plan, INoiseSampler sampler, DegradationStageHook? hook = null)
    {
        CheckGt(gt);
        ArgumentNullException.ThrowIfNull(plan);
        ArgumentNullException.ThrowIfNull(sampler);
        long b = gt.shape[0], oriH = gt.shape[2], oriW = gt.shape[3];
        CheckPlan(plan, b);
        hook ??= static (_, t) => t;
        var o = Options;

        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        var dev = gt.device;
        var k1 = BlurKernels.Stack(plan.Kernel1).to(dev);
        var k2 = BlurKernels.Stack(plan.Kernel2).to(dev);
        var sinc = BlurKernels.Stack(plan.SincKernel).to(dev);

        var gtUsm = hook(RealEsrganStages.GtUsm, _usm.Forward(gt, o.UsmWeight, o.UsmThreshold));

        // ----------------------- first degradation -----------------------
        var x = hook(RealEsrganStages.Stage1Blur, Filter2D.Apply(gtUsm, k1));
        x = hook(RealEsrganStages.Stage1Resize, Interpolation.ByScaleFactor(x, plan.Scale1, plan.Mode1));
        x = hook(RealEsrganStages.Stage1Noise, AddNoise(x, plan.Noise1, sampler));
        // Clamp first, otherwise the JPEG simulation gives unpleasant artifacts (reference comment).
        x = hook(RealEsrganStages.Stage1Jpeg, _jpeg.Forward(x.clamp(0, 1), plan.JpegQuality1));

        // ----------------------- second degradation -----------------------
        if (plan.SecondBlur) x = hook(RealEsrganStages.Stage2Blur, Filter2D.Apply(x, k2));
        // int(ori_h / scale * s) in float64, as in Python.
        long h2 = (long)(oriH / (double)o.Scale * plan.Scale2), w2 = (long)(oriW / (double)o.Scale * plan.Scale2);
        x = hook(RealEsrganStages.Stage2Resize, Interpolation.ToSize(x, h2, w2, plan.Mode2));
        x = hook(RealEsrganStages.Stage2Noise, AddNoise(x, plan.Noise2, sampler));

        long hl = oriH / o.Scale, wl = oriW / o.Scale;
        if (plan.ResizeSincBeforeJpeg)
        {
            x = hook(RealEsrganStages.FinalA, Interpolation.ToSize(x, hl, wl, plan.Mode3));
            x = hook(RealEsrganStages.FinalB, Filter2D.Apply(x, sinc));
            x = hook(RealEsrganStages.FinalC, _jpeg.Forward(x.clamp(0, 1), plan.JpegQuality2));
        }
        else
        {
            x = hook(RealEsrganStages.FinalA, _jpeg.Forward(x.clamp(0, 1), plan.JpegQuality2));
            x = hook(RealEsrganStages.FinalB, Interpolation.ToSize(x, hl, wl, plan.Mode3));
            x = hook(RealEsrganStages.FinalC, Filter2D.Apply(x, sinc));
        }
        var lq = hook(RealEsrganStages.Lq, (x * 255.0).round().clamp(0, 255) / 255.0);

        // Detach copies from the hook's tensors so that the result owns what it returns.
        var lqOut = lq.contiguous().clone().MoveToOuterDisposeScope();
        var gtUsmOut = gtUsm.clone().MoveToOuterDisposeScope();
        var gtOut = gt.alias().MoveToOuterDisposeScope();
        return new RealEsrganDegradationResult(lqOut, gtOut, gtUsmOut, plan, o);
    }

    static Tensor AddNoise(Tensor x, NoiseDraw draw, INoiseSampler sampler)
    {
        var strength = tensor(draw.Strength.ToArray(), ScalarType.Float32, x.device);
        var gray = tensor(draw.Gray.ToArray(), ScalarType.Float32, x.device);
        return draw.Kind == NoiseKind.Gaussian
            ? GaussianNoise.Add(x, strength, gray, sampler, clip: true, rounds: false)
            : PoissonNoise.Add(x, strength, gray, sampler, clip: true, rounds: false);
    }

    static double DrawScale(DegradationRandom rng, IReadOnlyList<double> prob, (double Min, double Max) range) =>
        rng.WeightedIndex(prob) switch
        {
            0 => rng.Uniform(1, range.Max),   // up
            1 => rng.Uniform(range.Min, 1),   // down
            _ => 1,                            // keep
        };

    static NoiseDraw DrawNoise(DegradationRandom rng, int batch, double gaussianProb, (double Min, double Max) sigmaRange,
        (double Min, double Max) poissonRange, double grayProb)
    {
        bool gaussian = rng.NextDouble() < gaussianProb;
        var range = gaussian ? sigmaRange : poissonRange;
        // As torch.rand(b) twice: all strengths, then all gray flags.
        var strength = Enumerable.Range(0, batch).Select(_ => (float)rng.Uniform(range.Min, range.Max)).ToArray();
        var gray = Enumerable.Range(0, batch).Select(_ => rng.NextDouble() < grayProb ? 1f : 0f).ToArray();
        return new NoiseDraw(gaussian ? NoiseKind.Gaussian : NoiseKind.Poisson, strength, gray);
    }

    static float[] DrawQualities(DegradationRandom rng, int batch, (double Min, double Max) range) =>
        Enumerable.Range(0, batch).Select(_ => (float)rng.Uniform(range.Min, range.Max)).ToArray();

    static void CheckGt(Tensor gt)
    {
        ArgumentNullException.ThrowIfNull(gt);
        if (gt.dim() != 4 || gt.shape[1] != 3)
            throw new ArgumentException($"gt must be (B, 3, H, W) RGB; got shape [{string.Join(", ", gt.shape)}].", nameof(gt));
        if (!gt.is_floating_point()) throw new ArgumentException($"gt must be a floating tensor in [0, 1]; got {gt.dtype}.", nameof(gt));
    }

    static void CheckPlan(RealEsrganDegradationPlan plan, long batch)
    {
        void PerSample<T>(IReadOnlyList<T>? list, string name)
        {
            if (list is null || list.Count != batch) throw new ArgumentException($"plan.{name} must have one entry per sample ({batch}); got {list?.Count ?? 0}.", nameof(plan));
        }
        PerSample(plan.Kernel1, nameof(plan.Kernel1));
        PerSample(plan.Kernel2, nameof(plan.Kernel2));
        if (plan.SincKernel is null || (plan.SincKernel.Count != 1 && plan.SincKernel.Count != batch))
            throw new ArgumentException($"plan.SincKernel must have 1 or {batch} entries; got {plan.SincKernel?.Count ?? 0}.", nameof(plan));
        PerSample(plan.JpegQuality1, nameof(plan.JpegQuality1));
        PerSample(plan.JpegQuality2, nameof(plan.JpegQuality2));
        PerSample(plan.Noise1?.Strength, "Noise1.Strength");
        PerSample(plan.Noise1?.Gray, "Noise1.Gray");
        PerSample(plan.Noise2?.Strength, "Noise2.Strength");
        PerSample(plan.Noise2?.Gray, "Noise2.Gray");
        if (!(plan.Scale1 > 0) || !(plan.Scale2 > 0)) throw new ArgumentException($"plan scales must be > 0; got Scale1 {plan.Scale1}, Scale2 {plan.Scale2}.", nameof(plan));
    }

    static int ComputeMinimumInputSize(RealEsrganDegradationOptions o, int usmKernel)
    {
        int maxKernel = BlurKernels.PaddedSize;
        for (int s = 1; s < 1_000_000; s++)
        {
            bool ok = s > usmKernel / 2 && s > maxKernel / 2;
            long after1 = (long)Math.Floor(s * o.ResizeRange.Min);
            ok &= o.SecondBlurProb > 0 ? after1 > maxKernel / 2 : after1 >= 1;
            ok &= (long)(s / (double)o.Scale * o.ResizeRange2.Min) >= 1;
            ok &= s / o.Scale > maxKernel / 2;
            if (ok) return s;
        }
        throw new ArgumentOutOfRangeException(nameof(o), "No input size satisfies the options' resize ranges.");
    }

    public void Dispose()
    {
        _usm.Dispose();
        _jpeg.Dispose();
    }
}
