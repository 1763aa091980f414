using System.CommandLine;
using System.Globalization;
using System.Text;
using HfDiff.Torch.Assets;
using HfDiff.Torch.Imaging;
using HfDiff.Torch.Metrics;
using static TorchSharp.torch;

namespace HfDiff.Cli.Commands;

/// <summary>
/// <c>hfdiff score --sr DIR [--gt DIR] --metrics psnr,ssim,niqe …</c>: every metric in one pass over the images (each
/// image decoded once), CSV <c>image,&lt;metric&gt;…</c>, a summary table of means. Without flags each metric keeps pyiqa's
/// defaults (psnr on RGB, ssim and niqe on Y of YIQ).
/// </summary>
internal static class ScoreCommand
{
    public static Command Create()
    {
        var sr = new Option<string>("--sr") { Description = "Folder (or file) of images to judge (the SR outputs).", Required = true };
        var gt = new Option<string?>("--gt") { Description = "Folder of ground-truth images, paired by file name (full-reference metrics)." };
        var metrics = new Option<string>("--metrics") { Description = "Comma-separated pyiqa metric names (psnr, ssim, niqe, …). Default: psnr,ssim with --gt, niqe without." };
        var y = new Option<bool>("--y-channel") { Description = "Compute psnr and ssim on the Y channel (ssim already does by pyiqa's default)." };
        var colorSpace = new Option<string?>("--color-space") { Description = "Y definition for psnr/ssim: yiq (pyiqa default) or ycbcr (what SinSR/OSEDiff report)." };
        var crop = new Option<int>("--crop-border") { Description = "Pixels cropped from each border before psnr/ssim.", DefaultValueFactory = _ => 0 };
        var csv = new Option<string?>("--csv") { Description = "Write per-image scores to this CSV file (written atomically)." };
        var models = CliRunner.ModelsOption();
        var device = new Option<string>("--device") { Description = "Torch device of the learned metrics: cpu, cuda or cuda:N.", DefaultValueFactory = _ => "cpu" };
        var batch = new Option<int>("--batch-size")
        {
            Description = "Images decoded and scored together; equal-size images share one forward pass of the learned metrics.",
            DefaultValueFactory = _ => DefaultBatchSize,
        };
        var cmd = new Command("score", "Score images with SR quality metrics (pyiqa semantics).") { sr, gt, metrics, y, colorSpace, crop, csv, models, device, batch };
        cmd.SetAction(parse => Run(parse.GetValue(sr)!, parse.GetValue(gt), parse.GetValue(metrics), parse.GetValue(y),
            parse.GetValue(colorSpace), parse.GetValue(crop), parse.GetValue(csv), parse.GetValue(models), parse.GetValue(device)!, parse.GetValue(batch)));
        return cmd;
    }

    const int DefaultBatchSize = 4;

    static int Run(string srPath, string? gtDir, string? metricList, bool yChannel, string? colorSpace, int cropBorder, string? csvPath, string? modelsDir,
                   string device, int batchSize)
    {
        if (cropBorder < 0) throw new CliUsageException($"--crop-border must be >= 0; got {cropBorder}.");
        if (batchSize < 1) throw new CliUsageException($"--batch-size must be >= 1; got {batchSize}.");
        if (colorSpace is not null && colorSpace is not ("yiq" or "ycbcr")) throw new CliUsageException($"--color-space must be yiq or ycbcr; got '{colorSpace}'.");
        var names = (metricList ?? (gtDir is null ? "niqe" : "psnr,ssim"))
            .Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(n => n.ToLowerInvariant()).ToList();
        if (names.Count == 0) throw new CliUsageException("--metrics names no metric.");
        if (names.Distinct().Count() != names.Count) throw new CliUsageException("--metrics names a metric twice.");

        var modelDir = ModelDirectory.Resolve(modelsDir);
        var metrics = new List<IImageQualityMetric>();
        try
        {
            foreach (var name in names)
                metrics.Add(MetricRegistry.Create(name, SettingsFor(name, yChannel, colorSpace, cropBorder), modelDir, device));
            bool needsGt = metrics.Any(m => m.Mode == MetricMode.FullReference);
            if (needsGt && gtDir is null)
                throw new CliUsageException($"{string.Join(", ", metrics.Where(m => m.Mode == MetricMode.FullReference).Select(m => m.Name))} need --gt.");

            var srFiles = ImageFiles.List(srPath);
            if (srFiles.Count == 0) throw new CliUsageException($"No images in '{srPath}'.");
            var pairs = needsGt ? ImageFiles.Pair(srFiles, gtDir!) : srFiles.Select(s => (Sr: s, Gt: (string?)null)).ToList()!;
            return Score(pairs!, names, metrics, csvPath, batchSize);
        }
        finally
        {
            foreach (var m in metrics) m.Dispose();
        }
    }

    /// <summary>pyiqa keyword arguments for one metric from the command-line flags (NIQE always keeps its defaults).</summary>
    static Dictionary<string, string> SettingsFor(string metric, bool yChannel, string? colorSpace, int cropBorder)
    {
        var s = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        if (metric is "psnr" or "ssim" or "psnry" or "ssimc")
        {
            if (yChannel) s["test_y_channel"] = "true";
            if (colorSpace is not null) s["color_space"] = colorSpace;
            if (cropBorder > 0) s["crop_border"] = cropBorder.ToString(CultureInfo.InvariantCulture);
        }
        return s;
    }

    static int Score(List<(string Sr, string? Gt)> pairs, List<string> names, List<IImageQualityMetric> metrics, string? csvPath, int batchSize)
    {
        var rows = new List<(string Name, double[] Values)>();
        int failures = 0;
        using var progress = Progress.Create(pairs.Count, "scoring");
        foreach (var chunk in pairs.Chunk(batchSize))
        {
            var values = chunk.Select(_ => Enumerable.Repeat(double.NaN, metrics.Count).ToArray()).ToArray();
            var failed = new bool[chunk.Length];
            void Fail(int k, Exception e)
            {
                failed[k] = true;
                progress.Log($"error: {Path.GetFileName(chunk[k].Sr)}: {CliRunner.Message(e)}");
            }
            using (var scope = NewDisposeScope())
            using (var _ = no_grad())
            {
                // Each image is decoded once for all metrics; an unreadable one is left out of the batch.
                var read = new List<(int Index, Tensor Sr, Tensor? Gt)>();
                for (int k = 0; k < chunk.Length; k++)
                {
                    try { read.Add((k, ImageIO.ReadTensor(chunk[k].Sr), chunk[k].Gt is null ? null : ImageIO.ReadTensor(chunk[k].Gt!))); }
                    catch (Exception e) when (CliRunner.IsUserError(e)) { Fail(k, e); }
                }
                for (int i = 0; i < metrics.Count && read.Count > 0; i++)
                    ScoreBatch(metrics[i], i, read, values, Fail);
            }
            for (int k = 0; k < chunk.Length; k++)
            {
                if (failed[k]) failures++;
                rows.Add((Path.GetFileName(chunk[k].Sr), values[k]));
                progress.Tick();
            }
        }
        progress.Dispose();

        if (csvPath is not null) AtomicFile.WriteAllText(csvPath, Csv(rows, names));
        PrintSummary(rows, names, metrics);
        if (failures > 0) Console.Error.WriteLine($"{failures} of {pairs.Count} image(s) failed.");
        return failures > 0 ? 1 : 0;
    }

    /// <summary>One metric over the decoded images of a chunk; a failing image is logged by name, the others keep their scores.</summary>
    static void ScoreBatch(IImageQualityMetric metric, int column, List<(int Index, Tensor Sr, Tensor? Gt)> read, double[][] values, Action<int, Exception> fail)
    {
        bool fr = metric.Mode == MetricMode.FullReference;
        var results = MetricBatching.ScoreEach(metric, read.Select(x => x.Sr).ToList(), fr ? read.Select(x => x.Gt!).ToList() : null);
        for (int k = 0; k < read.Count; k++)
        {
            var (score, error) = results[k];
            if (error is null) { values[read[k].Index][column] = score; continue; }
            if (!CliRunner.IsUserError(error)) System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(error).Throw();
            // Size errors already start with the metric's name ("lpips needs images of at least 31×31 pixels …").
            var message = error.Message.StartsWith(metric.Name + " ", StringComparison.Ordinal) ? error.Message : $"{metric.Name}: {error.Message}";
            fail(read[k].Index, new ArgumentException(message, error));
        }
    }

    /// <summary>Columns are the metric names as the user gave them, in that order.</summary>
    static string Csv(List<(string Name, double[] Values)> rows, List<string> names)
    {
        var sb = new StringBuilder("image," + string.Join(",", names) + "\n");
        foreach (var (name, values) in rows)
            sb.Append(CsvField(name)).Append(',').AppendJoin(',', values.Select(v => double.IsNaN(v) ? "" : v.ToString("R", CultureInfo.InvariantCulture))).Append('\n');
        return sb.ToString();
    }

    static string CsvField(string s) => s.IndexOfAny([',', '"', '\n']) < 0 ? s : "\"" + s.Replace("\"", "\"\"") + "\"";

    static void PrintSummary(List<(string Name, double[] Values)> rows, List<string> names, List<IImageQualityMetric> metrics)
    {
        Console.WriteLine($"{"metric",-10} {"mean",12} {"images",7}  better");
        for (int i = 0; i < metrics.Count; i++)
        {
            var vals = rows.Select(r => r.Values[i]).Where(v => !double.IsNaN(v)).ToList();
            var mean = vals.Count == 0 ? double.NaN : vals.Average();
            Console.WriteLine($"{names[i],-10} {mean.ToString("F4", CultureInfo.InvariantCulture),12} {vals.Count,7}  {(metrics[i].LowerIsBetter ? "lower" : "higher")}");
        }
    }
}
