using System.CommandLine;
using System.Globalization;
using HfDiff.Torch.Archs.Clip;
using HfDiff.Torch.Assets;
using HfDiff.Torch.Metrics;
using HfDiff.Torch.Metrics.ClipIqa;
using HfDiff.Torch.Metrics.Lpips;
using HfDiff.Torch.Metrics.Musiq;
using TorchSharp;
using HfDiff.Torch.Metrics.ClipIqa.Text;
using static TorchSharp.torch;

namespace HfDiff.Cli.Commands;

/// <summary><c>hfdiff bench iqa</c>: images per second of the learned metrics at full size with seeded random weights.</summary>
internal static partial class BenchCommand
{
    static readonly string[] IqaMetricNames = ["lpips", "lpips-vgg", "musiq", "clipiqa", "clipiqa+"];

    static Command IqaCommand()
    {
        var size = new Option<int>("--size") { Description = "Side of the square test images.", DefaultValueFactory = _ => 512 };
        var runs = RunsOption(5);
        var threads = ThreadsOption();
        var metrics = new Option<string>("--metrics") { Description = $"Metrics to time ({string.Join(",", IqaMetricNames)}).", DefaultValueFactory = _ => string.Join(",", IqaMetricNames) };
        var models = CliRunner.ModelsOption();
        var batch = new Option<int>("--batch") { Description = "Images (pairs) per ScoreBatch call; all of the same size, so one forward pass.", DefaultValueFactory = _ => 1 };
        var cmd = new Command("iqa",
            "Time the learned metrics (LPIPS alex/vgg, MUSIQ, CLIP-IQA, CLIP-IQA+) at full size with seeded random weights on one image (pair); " +
            "CLIP-IQA needs the CLIP BPE vocabulary from the model directory. PSNR/SSIM/NIQE: see `bench metrics`.")
            { size, runs, threads, metrics, models, batch };
        cmd.SetAction(parse =>
        {
            ApplyThreads(parse.GetValue(threads));
            int n = parse.GetValue(size), r = parse.GetValue(runs);
            if (n < 1) throw new CliUsageException($"--size must be >= 1; got {n}.");
            if (r < 1) throw new CliUsageException($"--runs must be >= 1; got {r}.");
            int b = parse.GetValue(batch);
            if (b < 1) throw new CliUsageException($"--batch must be >= 1; got {b}.");
            var names = parse.GetValue(metrics)!.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            foreach (var name in names)
                if (!IqaMetricNames.Contains(name, StringComparer.OrdinalIgnoreCase))
                    throw new CliUsageException($"--metrics: unknown metric '{name}'; choose from {string.Join(", ", IqaMetricNames)}.");
            var dir = ModelDirectory.Resolve(parse.GetValue(models));
            torch.random.manual_seed(BenchSeed);
            var gen = new Generator(seed: BenchSeed);
            using var gt = rand([1, 3, n, n], generator: gen).mul(255).round().div(255);
            using var sr = (gt + 0.05 * randn([1, 3, n, n], generator: gen)).clamp(0, 1).mul(255).round().div(255);
            Console.WriteLine($"{n}x{n} image (pair), batches of {b}, random weights, {r} runs after one warm-up");
            var srs = Enumerable.Repeat(sr, b).ToList();
            var gts = Enumerable.Repeat(gt, b).ToList();
            foreach (var name in names.Select(x => x.ToLowerInvariant()))
            {
                using var metric = CreateRandomIqaMetric(name, dir);
                if (metric is null) continue;
                // Before any image reaches libtorch: a too-small size is a one-line error naming the minimum, not a native crash.
                if (metric.SizeProblem(n, n) is { } problem) throw new CliUsageException($"--size {n}: {problem}");
                double value = 0;
                var stats = b == 1
                    ? BenchTimer.Time(r, () => value = metric.Score(sr, metric.Mode == MetricMode.FullReference ? gt : null))
                    : BenchTimer.Time(r, () => value = metric.ScoreBatch(srs, metric.Mode == MetricMode.FullReference ? gts : null)[0]);
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"{name,-10} {stats}   {b * 1000.0 / stats.Median,8:F2} images/s   value {value:G6}"));
            }
            Console.WriteLine($"peak RSS: {BenchTimer.PeakRssBytes() / (1024.0 * 1024):F0} MiB");
            return 0;
        });
        return cmd;
    }

    /// <summary>The named metric with random weights of the full-size architecture; null (with a printed note) when it cannot be built.</summary>
    static IImageQualityMetric? CreateRandomIqaMetric(string name, ModelDirectory dir)
    {
        switch (name)
        {
            case "lpips": return RandomLpips(LpipsNet.Alex);
            case "lpips-vgg": return RandomLpips(LpipsNet.Vgg);
            case "musiq":
            {
                var options = new MusiqOptions();
                using var template = new MusiqModel(options);
                return new MusiqMetric(options, StateDictOf(template), "random MUSIQ weights");
            }
            case "clipiqa":
            case "clipiqa+":
            {
                // The text prompts must be tokenized (once, in the constructor); per-image cost does not depend on them.
                var vocab = dir.Find(KnownAssets.ClipBpeVocab);
                if (vocab is null)
                {
                    Console.WriteLine($"{name,-10} skipped: needs the CLIP BPE vocabulary {KnownAssets.ClipBpeVocab.FileName} " +
                                      $"(not in '{dir.Root}'; point --models DIR at a folder holding it).");
                    return null;
                }
                var model = new ClipModel(new ClipOptions());
                if (name == "clipiqa") return new OwningClipIqa(model, ClipTokenizer.FromFile(vocab), new ClipIqaOptions(), null);
                // CLIP-IQA+: a random learned context of the official layout (2 prompts × 16 tokens × text width).
                var options = new ClipIqaOptions { Variant = ClipIqaVariant.ClipIqaPlus };
                using var context = randn(2, options.ContextTokens, model.Options.TransformerWidth, generator: new Generator(seed: BenchSeed)) * 0.02;
                return new OwningClipIqa(model, ClipTokenizer.FromFile(vocab), options, context);
            }
            default: throw new CliUsageException($"unknown metric '{name}'.");
        }
    }

    static LpipsMetric RandomLpips(LpipsNet net)
    {
        using var trunk = LpipsTrunk.Create(net);
        var trunkSd = StateDictOf(trunk);
        var linSd = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        for (int k = 0; k < trunk.Channels.Count; k++)
        {
            using var lin = new LpipsLinearLayer(trunk.Channels[k]);
            // The released linear weights are non-negative (a weighted distance); keep that property.
            foreach (var (key, value) in StateDictOf(lin)) { linSd[$"lin{k}.{key}"] = value.abs(); value.Dispose(); }
        }
        try { return new LpipsMetric(net, trunkSd, linSd, "random trunk weights", "random linear weights"); }
        finally
        {
            foreach (var t in trunkSd.Values) t.Dispose();
            foreach (var t in linSd.Values) t.Dispose();
        }
    }

    /// <summary>Detached copies of a module's state dict (the module may be disposed afterwards).</summary>
    static Dictionary<string, Tensor> StateDictOf(nn.Module module) =>
        module.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.detach().clone(), StringComparer.Ordinal);

    /// <summary>CLIP-IQA on a CLIP it owns (the public constructor shares the model, so dispose it here).</summary>
    sealed class OwningClipIqa(ClipModel model, ClipTokenizer tokenizer, ClipIqaOptions options, Tensor? learnedContext) : IImageQualityMetric
    {
        readonly ClipIqaMetric _metric = new(model, tokenizer, options, learnedContext);
        public string Name => _metric.Name;
        public MetricMode Mode => _metric.Mode;
        public bool LowerIsBetter => _metric.LowerIsBetter;
        public string? SizeProblem(long height, long width) => _metric.SizeProblem(height, width);
        public double Score(Tensor distorted, Tensor? reference = null) => _metric.Score(distorted, reference);
        public IReadOnlyList<double> ScoreBatch(IReadOnlyList<Tensor> distorted, IReadOnlyList<Tensor>? references = null) => _metric.ScoreBatch(distorted, references);
        public void Dispose() { _metric.Dispose(); model.Dispose(); }
    }
}
