using System.CommandLine;
using HfDiff.Torch.Metrics;
using HfDiff.Torch.Pipelines;
using TorchSharp;
using static TorchSharp.torch;

namespace HfDiff.Cli.Commands;

/// <summary><c>hfdiff bench …</c>: timings on this machine (warm-up, then median/min/max of N runs).</summary>
internal static partial class BenchCommand
{
    public static Command Create()
    {
        var cmd = new Command("bench", "Benchmarks: speed and memory on this machine.");
        cmd.Subcommands.Add(MetricsCommand());
        cmd.Subcommands.Add(SrCommand());
        cmd.Subcommands.Add(LossesCommand());
        cmd.Subcommands.Add(IqaCommand());
        cmd.Subcommands.Add(DegradeCommand());
        cmd.Subcommands.Add(TrainCommand());
        return cmd;
    }

    static Option<int> RunsOption(int def) => new("--runs") { Description = "Timed runs after one warm-up.", DefaultValueFactory = _ => def };
    static Option<int> ThreadsOption() => new("--threads") { Description = "Torch intra-op threads (0 = libtorch default).", DefaultValueFactory = _ => 0 };

    static void ApplyThreads(int threads)
    {
        if (threads < 0) throw new CliUsageException($"--threads must be >= 0; got {threads}.");
        if (threads > 0) torch.set_num_threads(threads);
        Console.WriteLine($"torch threads: {torch.get_num_threads()}");
    }

    static Command MetricsCommand()
    {
        var size = new Option<int>("--size") { Description = "Side of the square test images.", DefaultValueFactory = _ => 512 };
        var runs = RunsOption(10);
        var threads = ThreadsOption();
        var metrics = new Option<string>("--metrics") { Description = "Metrics to time.", DefaultValueFactory = _ => "psnr,ssim,niqe" };
        var models = CliRunner.ModelsOption();
        var cmd = new Command("metrics", "Time metrics on a seeded random image pair (SR-like: GT plus noise).") { size, runs, threads, metrics, models };
        cmd.SetAction(parse =>
        {
            ApplyThreads(parse.GetValue(threads));
            int n = parse.GetValue(size), r = parse.GetValue(runs);
            if (n < 1) throw new CliUsageException($"--size must be >= 1; got {n}.");
            if (r < 1) throw new CliUsageException($"--runs must be >= 1; got {r}.");
            var gen = new Generator(seed: 20260101);
            using var gt = rand([1, 3, n, n], generator: gen).mul(255).round().div(255);
            using var sr = (gt + 0.05 * randn([1, 3, n, n], generator: gen)).clamp(0, 1).mul(255).round().div(255);
            var dir = Torch.Assets.ModelDirectory.Resolve(parse.GetValue(models));
            Console.WriteLine($"{n}x{n} pair, {r} runs after one warm-up");
            var names = parse.GetValue(metrics)!.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            foreach (var name in names)
                if (!MetricRegistry.IsRegistered(name))
                    throw new CliUsageException($"--metrics: unknown metric '{name}'; choose from {string.Join(", ", MetricRegistry.Names)}.");
            foreach (var name in names)
            {
                IImageQualityMetric created;
                try { created = MetricRegistry.Create(name, new Dictionary<string, string>(), dir); }
                catch (Torch.Assets.ModelAssetMissingException e)
                {
                    // A missing pretrained file (e.g. NIQE's parameters) skips that metric; the others are still timed.
                    Console.WriteLine($"{name,-8} skipped: {e.Summary}");
                    continue;
                }
                using var metric = created;
                if (metric.SizeProblem(n, n) is { } problem) throw new CliUsageException($"--size {n}: {problem}");
                double value = 0;
                var stats = BenchTimer.Time(r, () => value = metric.Score(sr, metric.Mode == MetricMode.FullReference ? gt : null));
                Console.WriteLine($"{name,-8} {stats}   value {value:G8}");
            }
            Console.WriteLine($"peak RSS: {BenchTimer.PeakRssBytes() / (1024.0 * 1024):F0} MiB");
            return 0;
        });
        return cmd;
    }

    static Command SrCommand()
    {
        var arch = new Option<string>("--arch") { Description = "full (official SinSR ×4 networks), resshift, or an official YAML config.", DefaultValueFactory = _ => "full" };
        var lrSize = new Option<int>("--lr-size") { Description = "Side of the square LR input.", DefaultValueFactory = _ => 64 };
        var steps = new Option<int>("--steps") { Description = "Sampling steps (1 or T).", DefaultValueFactory = _ => 1 };
        var runs = RunsOption(3);
        var threads = ThreadsOption();
        var device = new Option<string>("--device") { Description = "Torch device.", DefaultValueFactory = _ => "cpu" };
        var precision = new Option<string>("--precision")
        {
            Description = "fp32, bf16, fp16, auto, or a comma-separated list timed one after the other in this run (e.g. fp32,bf16).",
            DefaultValueFactory = _ => "fp32",
        };
        var throughput = new Option<int>("--throughput")
        {
            Description = "Instead of one image's stage times: images/s over N same-size images, one by one against batches of --batch-size (0 = off).",
            DefaultValueFactory = _ => 0,
        };
        var batchSize = new Option<int>("--batch-size") { Description = "Batch size of the --throughput comparison.", DefaultValueFactory = _ => 4 };
        var layout = new Option<string>("--layout")
        {
            Description = "Memory layout of the VQGAN's maps: nchw, channels-last (SuperResolverOptions.ChannelsLastAutoencoder), or both comma-separated, timed one after the other.",
            DefaultValueFactory = _ => "nchw",
        };
        var tile = new Option<int?>("--tile") { Description = "LR tile size (as upscale --tile): an input larger than it is super-resolved in overlapping tiles, and the stage times are summed over them." };
        var tileStride = new Option<int?>("--tile-stride") { Description = "LR tile stride (as upscale --tile-stride); default 7/8 of --tile." };
        var warmup = new Option<int>("--warmup") { Description = "Untimed runs before the timed ones (oneDNN builds its kernels on the first call).", DefaultValueFactory = _ => 1 };
        var cmd = new Command("sr", "Time SR inference (encode, UNet, decode) with random weights of the chosen architecture; no checkpoints needed.")
            { arch, lrSize, steps, runs, threads, device, precision, throughput, batchSize, layout, tile, tileStride, warmup };
        cmd.SetAction(parse =>
        {
            ApplyThreads(parse.GetValue(threads));
            int n = parse.GetValue(lrSize), r = parse.GetValue(runs);
            if (n < 1) throw new CliUsageException($"--lr-size must be >= 1; got {n}.");
            if (r < 1) throw new CliUsageException($"--runs must be >= 1; got {r}.");
            var name = parse.GetValue(arch)!;
            var precisions = parse.GetValue(precision)!.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)
                .Select(UpscaleCommand.ParsePrecision).ToList();
            if (precisions.Count == 0) throw new CliUsageException("--precision names no precision.");
            var layouts = parse.GetValue(layout)!.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)
                .Select(l => l switch { "nchw" => false, "channels-last" or "channels_last" => true, _ => throw new CliUsageException($"--layout entries must be nchw or channels-last; got '{l}'.") })
                .ToList();
            if (layouts.Count == 0) throw new CliUsageException("--layout names no layout.");
            double? first = null;
            int nThroughput = parse.GetValue(throughput), batch = parse.GetValue(batchSize);
            if (nThroughput < 0) throw new CliUsageException($"--throughput must be >= 0; got {nThroughput}.");
            if (batch < 1) throw new CliUsageException($"--batch-size must be >= 1; got {batch}.");
            int warmupRuns = parse.GetValue(warmup);
            if (warmupRuns < 0) throw new CliUsageException($"--warmup must be >= 0; got {warmupRuns}.");
            foreach (var p in precisions)
            foreach (var channelsLast in layouts)
            {
                var options = new SuperResolverOptions
                {
                    Config = name == "full" ? "sinsr" : name, Device = parse.GetValue(device)!, Precision = p, ChannelsLastAutoencoder = channelsLast,
                    TileSize = parse.GetValue(tile), TileStride = parse.GetValue(tileStride),
                };
                var label = $"[{InferencePrecisions.Name(p)}{(layouts.Count > 1 || channelsLast ? channelsLast ? ", channels-last" : ", nchw" : "")}]";
                if (nThroughput > 0)
                {
                    using var resolver = SuperResolver.WithRandomWeights(options with { Steps = parse.GetValue(steps), BatchSize = batch });
                    Console.WriteLine($"{label} {SrThroughputBenchmark.Run(resolver, n, nThroughput, batch, r)}");
                    continue;
                }
                if (parse.GetValue(tile) is int t && n > t)
                {
                    var (size, stride) = SuperResolver.Tiles(options, bundled: false);
                    int perAxis = LatentSrPipeline.TileStarts(n, size, stride).Count;
                    Console.WriteLine($"{label} {perAxis * perAxis} tiles of {size} (stride {stride}) per image");
                }
                var result = SrBenchmark.Run(options, n, parse.GetValue(steps), r, randomWeights: true, warmupRuns: warmupRuns);
                Console.WriteLine($"{label} {result}");
                var total = result.Total.MedianMs;
                Console.WriteLine(first is double f
                    ? string.Create(System.Globalization.CultureInfo.InvariantCulture, $"total: {total:F0} ms ({f / total:F2}x the first configuration's speed)")
                    : $"total: {total:F0} ms");
                first ??= total;
            }
            return 0;
        });
        return cmd;
    }
}
