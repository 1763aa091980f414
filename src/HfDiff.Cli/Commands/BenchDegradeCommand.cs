using System.CommandLine;
using System.Globalization;
using HfDiff.Torch.Data.SrPairs;
using HfDiff.Torch.Imaging;
using TorchSharp;
using static TorchSharp.torch;

namespace HfDiff.Cli.Commands;

/// <summary><c>hfdiff bench degrade</c>: training pairs per second of the Real-ESRGAN pair loader (<see cref="SrPairLoaderBenchmark"/>).</summary>
internal static partial class BenchCommand
{
    const int SyntheticImageSize = 512;

    static Command DegradeCommand()
    {
        var batch = new Option<int>("--batch") { Description = "Pairs per batch.", DefaultValueFactory = _ => 32 };
        var gtSize = new Option<int>("--gt-size") { Description = "GT crop side (LQ is gt-size/4).", DefaultValueFactory = _ => 256 };
        var batches = new Option<int>("--batches") { Description = "Timed batches per run (after one untimed warm-up batch).", DefaultValueFactory = _ => 3 };
        var input = new Option<string?>("--in") { Description = $"Folder of HR images; default: a temporary folder of seeded synthetic {SyntheticImageSize}² PNGs (deleted afterwards)." };
        // Default 0: batches are made on the timing thread, so the rate is generation alone; with a prefetch queue the
        // batches queued during the warm-up would be counted as made in no time on short runs.
        var prefetch = new Option<int>("--prefetch") { Description = "Loader prefetch depth (0 = no background worker; see SrPairLoaderOptions.PrefetchBatches).", DefaultValueFactory = _ => 0 };
        var runs = RunsOption(1);
        var threads = ThreadsOption();
        var cmd = new Command("degrade",
            "Time training-pair generation (Real-ESRGAN degradation, otherwise default loader options) on an image folder.")
            { batch, gtSize, batches, input, prefetch, runs, threads };
        cmd.SetAction(parse =>
        {
            ApplyThreads(parse.GetValue(threads));
            int b = parse.GetValue(batch), g = parse.GetValue(gtSize), nb = parse.GetValue(batches), r = parse.GetValue(runs);
            if (b < 1) throw new CliUsageException($"--batch must be >= 1; got {b}.");
            if (g < 4 || g % 4 != 0) throw new CliUsageException($"--gt-size must be a positive multiple of 4 (the scale); got {g}.");
            if (nb < 1) throw new CliUsageException($"--batches must be >= 1; got {nb}.");
            if (r < 1) throw new CliUsageException($"--runs must be >= 1; got {r}.");
            int depth = parse.GetValue(prefetch);
            if (depth < 0) throw new CliUsageException($"--prefetch must be >= 0; got {depth}.");
            var folder = parse.GetValue(input);
            string? temp = null;
            if (folder is null)
            {
                temp = Path.Combine(Path.GetTempPath(), $"hfdiff-bench-degrade-{Guid.NewGuid():N}");
                WriteSyntheticImages(temp, b);
                folder = temp;
                Console.WriteLine($"{b} synthetic {SyntheticImageSize}x{SyntheticImageSize} PNGs in {temp}");
            }
            else if (!Directory.Exists(folder)) throw new DirectoryNotFoundException($"--in: folder '{folder}' not found.");
            try
            {
                Console.WriteLine($"batch {b}, GT {g}x{g}, prefetch {depth}, {nb} timed batch(es) per run after one warm-up batch, {r} run(s)");
                var perBatchMs = new double[r];
                for (int i = 0; i < r; i++)
                {
                    var result = SrPairLoaderBenchmark.Run(folder, b, g, nb, new SrPairLoaderOptions { PrefetchBatches = depth });
                    perBatchMs[i] = result.Elapsed.TotalMilliseconds / result.Batches;
                }
                var stats = BenchTimer.Summarise(perBatchMs);
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"{"realesrgan-pairs",-18} {stats} per batch   {b * 1000.0 / stats.Median,8:F2} pairs/s"));
            }
            finally
            {
                if (temp is not null) Directory.Delete(temp, recursive: true);
            }
            Console.WriteLine($"peak RSS: {BenchTimer.PeakRssBytes() / (1024.0 * 1024):F0} MiB");
            return 0;
        });
        return cmd;
    }

    /// <summary>Seeded smooth random images with mild noise (photo-like enough for PNG decoding and the degradations).</summary>
    static void WriteSyntheticImages(string folder, int count)
    {
        Directory.CreateDirectory(folder);
        var gen = new Generator(seed: BenchSeed);
        for (int i = 0; i < count; i++)
        {
            using var scope = NewDisposeScope();
            var coarse = rand([1, 3, 16, 16], generator: gen);
            var smooth = nn.functional.interpolate(coarse, [SyntheticImageSize, SyntheticImageSize], mode: InterpolationMode.Bicubic, align_corners: false);
            var image = (smooth + 0.03 * randn([1, 3, SyntheticImageSize, SyntheticImageSize], generator: gen)).clamp(0, 1);
            ImageIO.WritePng(image, Path.Combine(folder, $"synthetic_{i:D4}.png"));
        }
    }
}
