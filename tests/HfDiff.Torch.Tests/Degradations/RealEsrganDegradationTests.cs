using System.Reflection;
using System.Text.Json;
using HfDiff.Tests.Common;
using HfDiff.Torch.Degradations;
using static TorchSharp.torch;

namespace HfDiff.Torch.Tests.Degradations;

[TestClass]
public class RealEsrganDegradationTests
{
    const double StageTolerance = 1e-5;   // README: per stage when fed the previous stored stage
    const double UsmFlipThreshold = 1e-3; // USM mask flips show up as errors above this

    /// <summary>The fixture's fixed draws as a plan, a replay sampler and options (scale from the config).</summary>
    static (RealEsrganDegradationPlan Plan, ReplayNoiseSampler Sampler, RealEsrganDegradationOptions Options) Replay(DegradationFixture fx)
    {
        var p = fx.Config.GetProperty("pipeline");
        double D(string n) => p.GetProperty(n).GetDouble();
        float[] Floats(string n) => p.GetProperty(n).EnumerateArray().Select(e => (float)e.GetDouble()).ToArray();
        IReadOnlyList<double[,]> PerSample(string name)
        {
            var t = fx[name];
            return t.dim() == 2 ? [BlurKernels.FromTensor(t)] : Enumerable.Range(0, (int)t.shape[0]).Select(i => { using var s = t[i]; return BlurKernels.FromTensor(s); }).ToArray();
        }

        var sampler = new ReplayNoiseSampler();
        NoiseDraw Noise(int stage)
        {
            var kind = p.GetProperty($"noise{stage}").GetString();
            NoiseDraw draw = kind switch
            {
                "gaussian" => new NoiseDraw(NoiseKind.Gaussian, Floats($"sigma{stage}"), Floats($"gray{stage}")),
                "poisson" => new NoiseDraw(NoiseKind.Poisson, Floats($"pscale{stage}"), Floats($"pgray{stage}")),
                _ => throw new AssertFailedException($"pipeline.noise{stage} = '{kind}' is not gaussian/poisson."),
            };
            bool anyGray = draw.Gray.Any(g => g > 0);
            var names = draw.Kind == NoiseKind.Gaussian
                ? new[] { $"pipe/s{stage}_randn_gray_hw", $"pipe/s{stage}_randn_color" }
                : new[] { $"pipe/s{stage}_poisson_counts_gray", $"pipe/s{stage}_poisson_counts_color" };
            if (anyGray) sampler.Enqueue(names[0], fx[names[0]]);
            sampler.Enqueue(names[1], fx[names[1]]);
            return draw;
        }

        var order = p.GetProperty("order").GetString()!;
        bool resizeFirst = order switch
        {
            "resize_sinc_then_jpeg" => true,
            _ when order.StartsWith("jpeg", StringComparison.Ordinal) => false,
            _ => throw new AssertFailedException($"pipeline.order '{order}' is not understood."),
        };
        var plan = new RealEsrganDegradationPlan
        {
            Kernel1 = PerSample("pipe/kernel1"),
            Kernel2 = PerSample("pipe/kernel2"),
            SincKernel = PerSample("pipe/sinc_kernel"),
            Scale1 = D("scale1"),
            Mode1 = Interpolation.ParseMode(p.GetProperty("mode1").GetString()!),
            Noise1 = Noise(1),
            JpegQuality1 = Floats("jpeg1"),
            SecondBlur = p.GetProperty("second_blur").GetBoolean(),
            Scale2 = D("size2_scale"),
            Mode2 = Interpolation.ParseMode(p.GetProperty("mode2").GetString()!),
            Noise2 = Noise(2),
            ResizeSincBeforeJpeg = resizeFirst,
            Mode3 = Interpolation.ParseMode(p.GetProperty("mode3").GetString()!),
            JpegQuality2 = Floats("jpeg2"),
        };
        var options = new RealEsrganDegradationOptions { Scale = p.GetProperty("opt_scale").GetInt32() };
        return (plan, sampler, options);
    }

    static bool IsStage(string name) =>
        name.StartsWith("pipe/", StringComparison.Ordinal) && !name.Contains("randn") && !name.Contains("poisson_counts")
        && name is not ("pipe/gt" or "pipe/kernel1" or "pipe/kernel2" or "pipe/sinc_kernel");

    /// <summary>
    /// Fixture name of each final stage. With [resize + sinc] first, s3_a/b/c follow execution order. With JPEG first the
    /// generator may name them by execution order or by operation (a = resize, b = sinc, c = JPEG); we tell the two
    /// apart by recomputing the JPEG of the stored previous stage and seeing which stored tensor it matches.
    /// </summary>
    static Dictionary<string, string> FinalStageNames(DegradationFixture fx, RealEsrganDegradationPlan plan)
    {
        var map = new Dictionary<string, string>
        {
            [RealEsrganStages.FinalA] = "pipe/s3_a", [RealEsrganStages.FinalB] = "pipe/s3_b", [RealEsrganStages.FinalC] = "pipe/s3_c",
        };
        if (plan.ResizeSincBeforeJpeg || !fx.Io.Contains("pipe/s3_a") || !fx.Io.Contains("pipe/s3_c")) return map;
        using var jpeg = new DiffJpeg(differentiable: false);
        using var clamped = fx["pipe/s2_noise"].clamp(0, 1);
        using var ours = jpeg.Forward(clamped, plan.JpegQuality2);
        double Distance(string name) => ours.shape.SequenceEqual(fx[name].shape) ? TensorAssert.MaxAbs(ours, fx[name]) : double.PositiveInfinity;
        if (Distance("pipe/s3_c") < Distance("pipe/s3_a"))
        {
            // By operation: JPEG (executed first) is s3_c, the resize s3_a, the sinc filter s3_b.
            map[RealEsrganStages.FinalA] = "pipe/s3_c";
            map[RealEsrganStages.FinalB] = "pipe/s3_a";
            map[RealEsrganStages.FinalC] = "pipe/s3_b";
        }
        return map;
    }

    [TestMethod]
    [TestCategory("Parity.Degradation")]
    public void Degrade_FixtureDrawsStageByStage_EveryStageMatches()
    {
        var fx = DegradationFixture.Shared;
        var (plan, sampler, options) = Replay(fx);
        var names = FinalStageNames(fx, plan);
        string jpegFinal = plan.ResizeSincBeforeJpeg ? RealEsrganStages.FinalC : RealEsrganStages.FinalA;
        var visited = new List<string>();
        var failures = new List<string>();
        long[]? size2 = null;

        using var deg = new RealEsrganDegradation(options);
        using var result = deg.Degrade(fx["pipe/gt"], plan, sampler, (stage, output) =>
        {
            var name = names.TryGetValue(stage, out var mapped) ? mapped : "pipe/" + stage;
            if (stage == RealEsrganStages.Stage2Resize) size2 = output.shape[2..];
            if (!fx.Io.Contains(name)) return output;
            visited.Add(name);
            var expected = fx[name];
            try
            {
                if (stage is RealEsrganStages.Stage1Jpeg || stage == jpegFinal)
                    DegradationAssert.JpegClose(output, expected, StageTolerance, name);
                else if (stage == RealEsrganStages.Lq)
                {
                    // Fed the stored previous stage, the 8-bit rounding is exact up to ties.
                    double max = TensorAssert.MaxAbs(output, expected);
                    Console.WriteLine($"{name}: max |Δ| {max:E3}");
                    Assert.IsTrue(max <= 1 / 255.0 + 1e-6, $"{name}: max |Δ| {max:E3} > 1/255");
                    Assert.IsTrue(DegradationAssert.FractionAbove(output, expected, 1e-6) <= 0.001, $"{name}: too many rounding-tie flips");
                }
                else
                {
                    DegradationAssert.MaxAbsBelow(output, expected, StageTolerance, name);
                    if (stage == RealEsrganStages.GtUsm)
                        Assert.AreEqual(0.0, DegradationAssert.FractionAbove(output, expected, UsmFlipThreshold), $"{name}: USM mask flips");
                }
            }
            catch (AssertFailedException e) { failures.Add(e.Message); }
            return expected; // feed the stored stage to the next one
        });

        // Without the second blur the pipeline reports no s2_blur; a stored one must then be the unchanged JPEG output.
        if (!plan.SecondBlur && fx.Io.Contains("pipe/s2_blur"))
        {
            DegradationAssert.MaxAbsBelow(fx["pipe/s2_blur"], fx["pipe/s1_jpeg"], 0, "pipe/s2_blur (no second blur)");
            visited.Add("pipe/s2_blur");
        }
        Assert.AreEqual(0, failures.Count, string.Join(Environment.NewLine, failures));
        Assert.AreEqual(0, sampler.Remaining, "not every stored noise draw was consumed");
        var stages = fx.Io.Names.Where(IsStage).OrderBy(n => n, StringComparer.Ordinal).ToList();
        CollectionAssert.AreEquivalent(stages, visited, $"stages compared: {string.Join(", ", visited)}; fixture: {string.Join(", ", stages)}");
        var cfgSize2 = fx.Config.GetProperty("pipeline").GetProperty("size2").EnumerateArray().Select(e => e.GetInt64()).ToArray();
        CollectionAssert.AreEqual(cfgSize2, size2, "int(H / scale · size2_scale)");
        var finalSize = fx.Config.GetProperty("pipeline").GetProperty("final_size").EnumerateArray().Select(e => e.GetInt64()).ToArray();
        CollectionAssert.AreEqual(finalSize, result.Lq.shape[2..]);
    }

    [TestMethod]
    [TestCategory("Parity.Degradation")]
    public void Degrade_FixtureDrawsEndToEnd_LqWithinOneLevel()
    {
        var fx = DegradationFixture.Shared;
        var (plan, sampler, options) = Replay(fx);
        using var deg = new RealEsrganDegradation(options);
        var gt = fx["pipe/gt"];
        using var gtBefore = gt.clone();
        using var result = deg.Degrade(gt, plan, sampler);
        var expected = fx["pipe/lq"];
        double max = TensorAssert.MaxAbs(result.Lq, expected);
        double frac = DegradationAssert.FractionAbove(result.Lq, expected, 1e-6);
        Console.WriteLine($"pipe/lq end-to-end: max |Δ| {max:E3}, fraction differing {frac:P4}");
        // README: end-to-end lq may differ by 1/255 at rounding ties.
        Assert.IsTrue(max <= 1 / 255.0 + 1e-6, $"pipe/lq: max |Δ| {max:E3} > 1/255");
        Assert.IsTrue(frac <= 0.01, $"pipe/lq: {frac:P3} of the values differ (ties only expected)");
        DegradationAssert.MaxAbsBelow(result.GtUsm, fx["pipe/gt_usm"], StageTolerance, "pipe/gt_usm (result)");
        Assert.IsTrue(gt.allclose(gtBefore, 0, 0), "the input GT must not be modified");
        Assert.IsTrue(result.Gt.allclose(gt, 0, 0));
        Assert.AreSame(result.GtUsm, result.L1Target);
        Assert.AreSame(result.Gt, result.GanTarget);
    }

    [TestMethod]
    [TestCategory("Parity.Degradation")]
    public void Options_Defaults_MatchDegradationOptionsJson()
    {
        var fx = DegradationFixture.Shared;
        var defaults = new RealEsrganDegradationOptions();
        var props = typeof(RealEsrganDegradationOptions).GetProperties(BindingFlags.Public | BindingFlags.Instance).ToDictionary(p => p.Name);
        int compared = 0;
        foreach (var section in new[] { "model_opts", "dataset_opts" })
            foreach (var opt in fx.Options.GetProperty(section).EnumerateObject())
            {
                var pascal = string.Concat(opt.Name.Split('_').Select(s => char.ToUpperInvariant(s[0]) + s[1..]));
                Assert.IsTrue(props.TryGetValue(pascal, out var prop), $"option '{opt.Name}' has no property {pascal}");
                AssertOptionEquals(opt.Name, opt.Value, prop!.GetValue(defaults));
                compared++;
            }
        var hard = fx.Options.GetProperty("hardcoded_in_code");
        if (hard.TryGetProperty("final_order_prob", out var fop) && fop.ValueKind == JsonValueKind.Number)
            Assert.AreEqual(fop.GetDouble(), defaults.FinalOrderProb);
        Console.WriteLine($"{compared} options compared");
    }

    static void AssertOptionEquals(string name, JsonElement json, object? value)
    {
        switch (value)
        {
            case bool b: Assert.AreEqual(json.GetBoolean(), b, name); break;
            case int i: Assert.AreEqual(json.GetInt32(), i, name); break;
            case double d: Assert.AreEqual(json.GetDouble(), d, name); break;
            case ValueTuple<double, double> r:
                var arr = json.EnumerateArray().Select(e => e.GetDouble()).ToArray();
                CollectionAssert.AreEqual(arr, new[] { r.Item1, r.Item2 }, name);
                break;
            case IReadOnlyList<double> list:
                CollectionAssert.AreEqual(json.EnumerateArray().Select(e => e.GetDouble()).ToArray(), list.ToArray(), name);
                break;
            case IReadOnlyList<BlurKernelType> kinds:
                CollectionAssert.AreEqual(json.EnumerateArray().Select(e => e.GetString()).ToArray(), kinds.Select(k => k.ToConfigName()).ToArray(), name);
                break;
            default: Assert.Fail($"option '{name}': unhandled property type {value?.GetType().Name}"); break;
        }
    }

    static Tensor SmoothGt(int batch, int h, int w, long seed)
    {
        using var gen = new Generator((ulong)seed);
        using var coarse = rand(new long[] { batch, 3, h / 8, w / 8 }, generator: gen);
        return nn.functional.interpolate(coarse, size: [h, w], mode: InterpolationMode.Bilinear, align_corners: false).clamp(0, 1);
    }

    [TestMethod]
    public void DegradeBatch_SameSeed_IdenticalAndDifferentSeed_Different()
    {
        using var deg = new RealEsrganDegradation();
        int size = deg.MinimumInputSize + 2; // 76 for the defaults: LQ 19x19 (small to keep the test fast)
        using var gt = SmoothGt(1, size, size, 11);
        using var a = deg.DegradeBatch(gt, 1234);
        using var b = deg.DegradeBatch(gt, 1234);
        using var c = deg.DegradeBatch(gt, 1235);
        CollectionAssert.AreEqual(new long[] { 1, 3, size / 4, size / 4 }, a.Lq.shape);
        Assert.IsTrue(a.Lq.allclose(b.Lq, 0, 0), "same seed must give identical LQ");
        Assert.IsTrue(a.GtUsm.allclose(b.GtUsm, 0, 0));
        Assert.IsFalse(a.Lq.allclose(c.Lq, 0, 0), "a different seed must give a different LQ");
        // LQ holds 8-bit levels in [0, 1].
        using var levels = a.Lq * 255;
        Assert.IsTrue(levels.allclose(levels.round(), 0, 1e-4));
        Assert.IsTrue(a.Lq.min().item<float>() >= 0 && a.Lq.max().item<float>() <= 1);
    }

    [TestMethod]
    public void SamplePlan_ManyDraws_FollowOfficialProbabilities()
    {
        using var deg = new RealEsrganDegradation();
        var o = deg.Options;
        var rng = new DegradationRandom(99);
        const int n = 1500;
        var plans = Enumerable.Range(0, n).Select(_ => deg.SamplePlan(1, rng)).ToList();

        void Near(double p, int count, string what)
        {
            double sd = Math.Sqrt(p * (1 - p) / n), f = count / (double)n;
            Assert.IsTrue(Math.Abs(f - p) <= 4.5 * sd + 1e-9, $"{what}: frequency {f:F3}, expected {p:F3} ± {4.5 * sd:F3}");
        }
        double upP = o.ResizeProb[0] / o.ResizeProb.Sum(), downP = o.ResizeProb[1] / o.ResizeProb.Sum();
        Near(upP, plans.Count(p => p.Scale1 > 1), "first resize up");
        Near(downP, plans.Count(p => p.Scale1 < 1), "first resize down");
        Assert.IsTrue(plans.All(p => p.Scale1 >= o.ResizeRange.Min && p.Scale1 <= o.ResizeRange.Max));
        Near(1 / 3.0, plans.Count(p => p.Mode1 == ResizeMode.Area), "area mode");
        Near(o.GaussianNoiseProb, plans.Count(p => p.Noise1.Kind == NoiseKind.Gaussian), "gaussian noise 1");
        Near(o.GrayNoiseProb2, plans.Count(p => p.Noise2.Gray[0] == 1), "gray noise 2");
        Assert.IsTrue(plans.Where(p => p.Noise1.Kind == NoiseKind.Gaussian).All(p => p.Noise1.Strength[0] >= o.NoiseRange.Min && p.Noise1.Strength[0] <= o.NoiseRange.Max));
        Assert.IsTrue(plans.Where(p => p.Noise2.Kind == NoiseKind.Poisson).All(p => p.Noise2.Strength[0] >= o.PoissonScaleRange2.Min && p.Noise2.Strength[0] <= o.PoissonScaleRange2.Max));
        Assert.IsTrue(plans.All(p => p.JpegQuality1[0] >= o.JpegRange.Min && p.JpegQuality2[0] <= o.JpegRange2.Max));
        Near(o.SecondBlurProb, plans.Count(p => p.SecondBlur), "second blur");
        Near(o.FinalOrderProb, plans.Count(p => p.ResizeSincBeforeJpeg), "final order");
        Near(1 - o.FinalSincProb, plans.Count(p => p.SincKernel[0][10, 10] == 1.0), "final pulse");

        // Kernel sizes: the non-zero support of kernel1 is uniform over the kernel range; every kernel sums to 1.
        foreach (var size in o.KernelRange)
            Near(1.0 / o.KernelRange.Count, plans.Count(p => Support(p.Kernel1[0]) == size), $"kernel1 size {size}");
        foreach (var k in plans.SelectMany(p => new[] { p.Kernel1[0], p.Kernel2[0], p.SincKernel[0] }))
        {
            Assert.AreEqual(21, k.GetLength(0));
            double s = 0; foreach (var v in k) s += v;
            Assert.AreEqual(1.0, s, 1e-9);
        }
    }

    static int Support(double[,] k)
    {
        // Rows/columns outside the drawn size are exactly zero (dataset zero padding); the kernel is centred.
        int n = k.GetLength(0), first = n;
        for (int i = 0; i < n && first == n; i++)
            for (int j = 0; j < n; j++)
                if (k[i, j] != 0 || k[j, i] != 0) { first = i; break; }
        return n - 2 * first;
    }

    [TestMethod]
    public void Degrade_JpegFirstWithoutSecondBlur_ReportsStagesInExecutionOrder()
    {
        using var deg = new RealEsrganDegradation();
        var drawn = deg.SamplePlan(1, new DegradationRandom(5));
        var plan = drawn with
        {
            SecondBlur = false, ResizeSincBeforeJpeg = false, Scale1 = 0.9, Mode1 = ResizeMode.Bicubic,
            Scale2 = 0.5, Mode2 = ResizeMode.Area, Mode3 = ResizeMode.Bilinear,
            Noise1 = new NoiseDraw(NoiseKind.Poisson, [1.0f], [1.0f]),
            Noise2 = new NoiseDraw(NoiseKind.Gaussian, [5.0f], [0.0f]),
        };
        using var gt = SmoothGt(1, 96, 96, 3);
        using var sampler = new TorchNoiseSampler(8);
        var seen = new List<(string Stage, long H)>();
        Tensor? s2Noise = null;
        using var result = deg.Degrade(gt, plan, sampler, (stage, t) =>
        {
            seen.Add((stage, t.shape[2]));
            if (stage == RealEsrganStages.Stage2Noise) s2Noise = t.clone().DetachFromDisposeScope();
            if (stage == RealEsrganStages.FinalA)
            {
                // JPEG first: s3_a is the JPEG of the clamped noisy stage-2 image, at the stage-2 size.
                using var jpeg = new DiffJpeg(differentiable: false);
                using var clamped = s2Noise!.clamp(0, 1);
                using var expected = jpeg.Forward(clamped, plan.JpegQuality2);
                Assert.IsTrue(t.allclose(expected, 0, 0));
            }
            return t;
        });
        s2Noise?.Dispose();
        CollectionAssert.AreEqual(
            new[] { "gt_usm", "s1_blur", "s1_resize", "s1_noise", "s1_jpeg", "s2_resize", "s2_noise", "s3_a", "s3_b", "s3_c", "lq" },
            seen.Select(s => s.Stage).ToArray());
        // 96 → floor(96·0.9)=86 → int(96/4·0.5)=12 → JPEG at 12 → resize to 24 → sinc → round.
        CollectionAssert.AreEqual(new long[] { 96, 96, 86, 86, 86, 12, 12, 12, 24, 24, 24 }, seen.Select(s => s.H).ToArray());
    }

    [TestMethod]
    public void DegradeBatch_TooSmallGt_ThrowsNamingMinimumSize()
    {
        using var deg = new RealEsrganDegradation();
        using var gt = zeros(1, 3, 64, 64);
        var e = Assert.ThrowsExactly<ArgumentException>(() => deg.DegradeBatch(gt, 0));
        Assert.AreEqual("gt", e.ParamName);
        StringAssert.Contains(e.Message, $"{deg.MinimumInputSize}x{deg.MinimumInputSize}");
        Assert.AreEqual(74, deg.MinimumInputSize);
    }

    [TestMethod]
    public void DegradeBatch_GrayscaleGt_ThrowsNamingGt()
    {
        using var deg = new RealEsrganDegradation();
        using var gt = zeros(1, 1, 96, 96);
        var e = Assert.ThrowsExactly<ArgumentException>(() => deg.DegradeBatch(gt, 0));
        Assert.AreEqual("gt", e.ParamName);
    }

    [TestMethod]
    public void Constructor_InvalidOption_ThrowsNamingOptionAndValue()
    {
        var e = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => new RealEsrganDegradation(new RealEsrganDegradationOptions { ResizeProb = [0.5, 0.5] }));
        Assert.AreEqual("ResizeProb", e.ParamName);
        var e2 = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => new RealEsrganDegradation(new RealEsrganDegradationOptions { SecondBlurProb = 1.5 }));
        StringAssert.Contains(e2.Message, "1.5");
        var e3 = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => new RealEsrganDegradation(new RealEsrganDegradationOptions { KernelProb = [1.0] }));
        Assert.AreEqual("KernelProb", e3.ParamName);
    }

    [TestMethod]
    public void Degrade_PlanForOtherBatchSize_Throws()
    {
        using var deg = new RealEsrganDegradation();
        var plan = deg.SamplePlan(1, new DegradationRandom(1));
        using var gt = zeros(2, 3, 96, 96);
        var e = Assert.ThrowsExactly<ArgumentException>(() => deg.Degrade(gt, plan, new ReplayNoiseSampler()));
        StringAssert.Contains(e.Message, "Kernel1");
    }
}
