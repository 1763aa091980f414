using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using HfDiff.Torch.Archs.ResShift;
using HfDiff.Torch.Configs;
using HfDiff.Torch.Losses.Distillation;
using HfDiff.Torch.Pipelines;
using HfDiff.Torch.Samplers;
using HfDiff.Torch.Schedules;
using HfDiff.Torch.Training;
using HfDiff.Torch.Training.Core;
using HfDiff.Torch.Training.HfDiff;
using HfDiff.Torch.Archs.Dinov2;
using HfDiff.Torch.Archs.HfDiff;
using HfDiff.Torch.Archs.Vgg;
using TorchSharp;
using HfDiff.Torch.Diagnostics;
using static TorchSharp.torch;

namespace HfDiff.Cli.Commands;

/// <summary>
/// <c>hfdiff bench train</c>: one training iteration of the SinSR student (per microbatch size) and of the ResShift teacher
/// with random full-size weights, its time split into stages, and the peak RSS of each configuration.
/// </summary>
internal static partial class BenchCommand
{
    static Command TrainCommand()
    {
        var arch = new Option<string>("--arch")
        {
            Description = "full (official SinSR student + ResShift teacher networks) or an official YAML (its model for student and teacher).",
            DefaultValueFactory = _ => "full",
        };
        var gtSize = new Option<int>("--gt-size") { Description = "Side of the square GT crops (the official gt_size is 256).", DefaultValueFactory = _ => 256 };
        var batch = new Option<int>("--batch") { Description = "Rows per iteration.", DefaultValueFactory = _ => 4 };
        var microbatches = new Option<string>("--microbatch") { Description = "Student microbatch sizes to time, comma-separated.", DefaultValueFactory = _ => "1,4" };
        var kinds = new Option<string>("--kind") { Description = "student, teacher or both.", DefaultValueFactory = _ => "both" };
        var iterations = new Option<int>("--iterations") { Description = "Timed iterations per configuration.", DefaultValueFactory = _ => 1 };
        var warmup = new Option<int>("--warmup")
        {
            Description = "Untimed iterations first (one-time kernel and allocator set-up; 0 on a slow machine, but the first configuration then pays it).",
            DefaultValueFactory = _ => 1,
        };
        var losses = new Option<string>("--losses")
        {
            Description = "Student loss sets to time one after another, comma-separated: sinsr, hf, dm, vgg, hf+dm (HF-Diff), … (random-weight INN, DINOv2 ViT-S/14, VGG16).",
            DefaultValueFactory = _ => "sinsr",
        };
        var earlyBackward = new Option<bool>("--early-backward")
        {
            Description = "Time the student in the lower-memory order (hfdiff.early_backward): its inverse and consistency terms back-propagate inside the loss (counted there), so one student graph is alive at a time.",
        };
        var extraTermsFirst = new Option<bool>("--extra-terms-first")
        {
            Description = "With --early-backward: the extra terms run before the student's distillation graph exists (hfdiff.extra_terms_first; one more student forward without gradients).",
        };
        var imageChunk = new Option<int>("--image-chunk")
        {
            Description = "hfdiff.image_chunk for the image terms (dm, vgg, lpips): decode with gradients this many samples at a time (0 = the whole microbatch).",
        };
        var termPrecisions = new Option<string>("--term-precision")
        {
            Description = "hfdiff.term_precision of the image terms' decode and DINOv2: fp32, bf16, or both comma-separated, timed one after the other.",
            DefaultValueFactory = _ => "fp32",
        };
        var threads = ThreadsOption();
        var cmd = new Command("train",
            "Time one training iteration (student: teacher chain / student forward / losses / backward / optimizer; teacher likewise) with random weights.")
            { arch, gtSize, batch, microbatches, kinds, iterations, warmup, losses, earlyBackward, extraTermsFirst, imageChunk, termPrecisions, threads };
        cmd.SetAction(parse =>
        {
            ApplyThreads(parse.GetValue(threads));
            int n = parse.GetValue(gtSize), b = parse.GetValue(batch), its = parse.GetValue(iterations);
            if (b < 1) throw new CliUsageException($"--batch must be >= 1; got {b}.");
            if (its < 1) throw new CliUsageException($"--iterations must be >= 1; got {its}.");
            int warm = parse.GetValue(warmup);
            if (warm < 0) throw new CliUsageException($"--warmup must be >= 0; got {warm}.");
            var micro = parse.GetValue(microbatches)!.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
                .Select(m => int.TryParse(m, NumberStyles.None, CultureInfo.InvariantCulture, out var v) && v >= 1 ? v : throw new CliUsageException($"--microbatch entries must be integers >= 1; got '{m}'."))
                .ToList();
            var lossSets = parse.GetValue(losses)!.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(l =>
            {
                try { return HfDiffAblation.Parse(l); }
                catch (Exception e) when (e is ArgumentException or FormatException) { throw new CliUsageException("--losses: " + e.Message); }
            }).ToList();
            if (lossSets.Count == 0) throw new CliUsageException("--losses names no loss set.");
            if (lossSets.Any(t => t.HasFlag(HfDiffLossTerms.Lpips))) throw new CliUsageException("--losses: lpips is not timed here (its linear layers have no random initialisation); use vgg.");
            bool early = parse.GetValue(earlyBackward), first = parse.GetValue(extraTermsFirst);
            if (first && !early) throw new CliUsageException("--extra-terms-first needs --early-backward.");
            int chunk = parse.GetValue(imageChunk);
            if (chunk < 0) throw new CliUsageException($"--image-chunk must be >= 0; got {chunk}.");
            var precisions = parse.GetValue(termPrecisions)!.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
                .Select(p => p switch { "fp32" => HfDiffTermPrecision.Fp32, "bf16" => HfDiffTermPrecision.Bf16, _ => throw new CliUsageException($"--term-precision entries must be fp32 or bf16; got '{p}'.") })
                .ToList();
            if (precisions.Count == 0) throw new CliUsageException("--term-precision names no precision.");
            var kind = parse.GetValue(kinds)!;
            if (kind is not ("student" or "teacher" or "both")) throw new CliUsageException($"--kind must be student, teacher or both; got '{kind}'.");
            var name = parse.GetValue(arch)!;
            SrConfig studentConfig, teacherConfig;
            if (name == "full") (studentConfig, teacherConfig) = (SrConfigPresets.SinSr, SrConfigPresets.ResShift);
            else if (File.Exists(name)) studentConfig = teacherConfig = SrConfigReader.Load(name);
            else throw new CliUsageException($"--arch must be 'full' or an existing YAML config; got '{name}'.");
            var ae = studentConfig.Autoencoder ?? throw new CliUsageException($"{studentConfig.Source} has no autoencoder section.");
            int sf = studentConfig.Diffusion.Sf;
            if (n < 8 * sf || n % (4 * sf) != 0) throw new CliUsageException($"--gt-size must be a multiple of {4 * sf} and >= {8 * sf}; got {n}.");

            torch.random.manual_seed(BenchSeed);
            var gen = new Generator(seed: BenchSeed);
            using var gt = rand([b, 3, n, n], generator: gen).mul(2).sub(1);
            using var lq = nn.functional.avg_pool2d(gt, sf);
            using var vq = VQModelTorch.FromKwargs(ae.Params);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"batch {b}, GT {n}x{n}, LR {n / sf}x{n / sf}, random weights ({(name == "full" ? "official SinSR/ResShift sizes" : studentConfig.Source)}); {warm} warm-up + {its} timed iteration(s) each"));
            if (kind is "student" or "both")
            {
                var schedule = new ResShiftSchedule(studentConfig.Diffusion);
                foreach (var terms in lossSets)
                foreach (var precision in terms == HfDiffLossTerms.None ? [HfDiffTermPrecision.Fp32] : precisions)
                foreach (var m in micro)
                {
                    bool reset = ProcessMemory.TryResetPeak();
                    using var student = UNetModelSwin.FromKwargs(studentConfig.Model.Params);
                    using var teacher = UNetModelSwin.FromKwargs(teacherConfig.Model.Params);
                    FrozenForBench(teacher);
                    FrozenForBench(vq);
                    var clock = new StageClock();
                    var teacherNet = new UNetLatentDenoiser(teacher).AsDelegate();
                    // The extra terms' networks (and the image terms' gradient-enabled decode) count as "losses".
                    using var decoder = new ImageTermDecoder(vq, schedule.Options.ScaleFactor, precision);
                    using var extra = terms == HfDiffLossTerms.None ? null : new HfDiffExtraTerms(new HfDiffLossOptions { Terms = terms, ImageChunk = chunk, TermPrecision = precision }, new HfDiffLossNetworks
                    {
                        Inn = terms.HasFlag(HfDiffLossTerms.HighFrequency) ? new HfDiffInnFeatureExtractor() : null,
                        Dinov2 = terms.HasFlag(HfDiffLossTerms.DistributionMatching) ? new DinoVisionTransformer(DinoVisionTransformerOptions.FromHubName(new HfDiffLossOptions().Dinov2Model)) : null,
                        Vgg = terms.HasFlag(HfDiffLossTerms.VggPerceptual) ? new Vgg16Features() : null,
                    }, decoder.AsDecoder(), ownsNetworks: true, tracingDecoder: decoder.AsTracingDecoder());
                    var trainerOptions = new SinSrStudentTrainerOptions { ExtraTerms = extra?.Terms ?? [], EarlyBackward = early, ExtraTermsFirst = first };
                    using var trainer = new SinSrStudentTrainer(student, clock.Wrap("student forward", (x, t, c) => student.Forward(x, t, c)),
                        clock.Wrap("teacher chain", teacherNet), clock.Wrap("encode", new LatentEncoder(vq.Encode)), schedule, trainerOptions, [teacher, vq]);
                    var row = RunIterations(trainer, gt, lq, b, m, warm, its, clock, reset);
                    Console.WriteLine($"student  {HfDiffAblation.Format(terms)}{(early ? " (early backward)" : "")}{(first ? " (extra terms first)" : "")}{(chunk > 0 ? $" (image chunk {chunk})" : "")}{(precision != HfDiffTermPrecision.Fp32 ? " (bf16 terms)" : "")}, microbatch {m}: {row}");
                }
            }
            if (kind is "teacher" or "both")
            {
                bool reset = ProcessMemory.TryResetPeak();
                var schedule = new ResShiftSchedule(teacherConfig.Diffusion);
                using var model = UNetModelSwin.FromKwargs(teacherConfig.Model.Params);
                FrozenForBench(vq);
                var clock = new StageClock();
                var trainer = new ResShiftTeacherTrainer(model, clock.Wrap("model forward", (x, t, c) => model.Forward(x, t, c)),
                    clock.Wrap("encode", new LatentEncoder(vq.Encode)), schedule, null, [vq]);
                int m = micro.Count > 0 ? micro.Max() : b;
                var row = RunIterations(trainer, gt, lq, b, Math.Min(m, b), warm, its, clock, reset);
                Console.WriteLine($"teacher  microbatch {Math.Min(m, b)}: {row}");
            }
            return 0;
        });
        return cmd;
    }

    static void FrozenForBench(nn.Module m)
    {
        foreach (var p in m.parameters()) p.requires_grad = false;
        m.eval();
    }

    /// <summary>
    /// The loop's iteration by hand, so that each stage can be timed: per microbatch Compute (timed inside by the wrapped
    /// networks; the rest of Compute is "losses") and backward of loss / nacc; then AdamW step, zero_grad and EMA update ("optimizer").
    /// </summary>
    static string RunIterations(ITrainingObjective objective, Tensor gt, Tensor lq, int batch, int microbatch, int warmup, int iterations, StageClock clock, bool peakReset)
    {
        var parameters = objective.Model.parameters().Where(p => p.requires_grad).ToArray();
        using var optimizer = optim.AdamW(parameters, 5e-5);
        using var ema = new ExponentialMovingAverage(objective.Model, 0.999, objective.EmaRule);
        using var random = new TrainingRandom(BenchSeed);
        objective.PrepareForTraining();
        int nacc = (batch + microbatch - 1) / microbatch;
        double compute = 0, backward = 0, step = 0;
        long allocated0 = GC.GetTotalAllocatedBytes(precise: true);
        int held = 0;
        var total = Stopwatch.StartNew();
        for (int it = -warmup; it < iterations; it++)
        {
            if (it == 0) { compute = backward = step = 0; held = 0; clock.Reset(); total.Restart(); allocated0 = GC.GetTotalAllocatedBytes(precise: true); }
            using var noGc = NoGcIteration.Enter();   // as TrainingLoop does
            optimizer.zero_grad();
            for (int j = 0; j < batch; j += microbatch)
            {
                using var scope = NewDisposeScope();
                int len = Math.Min(microbatch, batch - j);
                var sw = Stopwatch.StartNew();
                if (objective is IPartialBackwardObjective partial) partial.LossScale = 1.0 / nacc;
                using var r = objective.Compute(gt.narrow(0, j, len), lq.narrow(0, j, len), random, random);
                compute += sw.Elapsed.TotalMilliseconds;
                sw.Restart();
                (r.Loss / nacc).backward();
                backward += sw.Elapsed.TotalMilliseconds;
            }
            var s2 = Stopwatch.StartNew();
            optimizer.step();
            optimizer.zero_grad();
            ema.Update(objective.Model);
            step += s2.Elapsed.TotalMilliseconds;
            noGc.Dispose();
            if (noGc.Held) held++;
        }
        total.Stop();
        double allocatedMib = (GC.GetTotalAllocatedBytes(precise: true) - allocated0) / (1024.0 * 1024) / iterations;
        double networks = clock.Stages.Values.Sum();
        var parts = clock.Stages.Select(kv => $"{kv.Key} {kv.Value / iterations / 1000:F2} s").ToList();
        parts.Add($"losses {(compute - networks) / iterations / 1000:F2} s");
        parts.Add($"backward {backward / iterations / 1000:F2} s");
        parts.Add($"optimizer {step / iterations / 1000:F2} s");
        return string.Create(CultureInfo.InvariantCulture,
            $"{total.Elapsed.TotalSeconds / iterations:F2} s/iteration = {string.Join(", ", parts)}; peak RSS {(peakReset ? "" : "(since start) ")}{BenchTimer.PeakRssBytes() / (1024.0 * 1024):F0} MiB; "
            + $"managed allocation {allocatedMib:F1} MiB per iteration, no-GC region held in {held}/{iterations}");
    }

    /// <summary>Accumulated wall time of wrapped networks, by stage name (in first-call order).</summary>
    sealed class StageClock
    {
        readonly List<string> _order = [];
        readonly Dictionary<string, double> _ms = [];

        public IReadOnlyDictionary<string, double> Stages => _order.ToDictionary(k => k, k => _ms[k]);

        public void Reset()
        {
            foreach (var k in _order) _ms[k] = 0;
        }

        void Add(string stage, double ms)
        {
            if (!_ms.ContainsKey(stage)) { _order.Add(stage); _ms[stage] = 0; }
            _ms[stage] += ms;
        }

        public LatentDenoiser Wrap(string stage, LatentDenoiser inner) => (x, t, c) =>
        {
            var sw = Stopwatch.StartNew();
            try { return inner(x, t, c); }
            finally { Add(stage, sw.Elapsed.TotalMilliseconds); }
        };

        public LatentEncoder Wrap(string stage, LatentEncoder inner) => x =>
        {
            var sw = Stopwatch.StartNew();
            try { return inner(x); }
            finally { Add(stage, sw.Elapsed.TotalMilliseconds); }
        };
    }
}
