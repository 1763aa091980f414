// Periodic validation of a training run on its EMA weights (the official trainers validate the EMA model every val_freq
// iterations: ResShift/SinSR trainer.py, TrainerDifIR.validation; their PSNR/LPIPS on [0, 1] images). Metrics here follow
// `hfdiff eval` instead (PSNR/SSIM on Y of YCbCr, learned metrics when their weights exist), so rows compare with eval tables.
using System.Diagnostics;
using System.Globalization;
using System.Text;
using HfDiff.Torch.Archs.ResShift;
using HfDiff.Torch.Assets;
using HfDiff.Torch.Evaluation;
using HfDiff.Torch.Imaging;
using HfDiff.Torch.Metrics;
using HfDiff.Torch.Pipelines;
using HfDiff.Torch.Schedules;
using HfDiff.Torch.Training.Core;
using HfDiff.Torch.Weights;
using TorchSharp;
using static TorchSharp.torch;

namespace HfDiff.Torch.Training.Validation;

/// <summary>
/// Validates the EMA weights of a run: copies them into its own UNet, super-resolves every LR image with a
/// <see cref="SuperResolver"/> on that UNet and the run's frozen VQ (1 step for the SinSR student, T steps for the ResShift
/// teacher; the same seed every time), scores the 8-bit SR (as written to PNG) and appends one row of means to
/// <c>validation.csv</c> (<c>iteration,images,&lt;metric&gt;…,seconds</c>) in the run folder, plus a grid
/// <c>validation/iter_NNNNNNNNN.png</c> of LR (nearest-upscaled) / SR / GT centre crops. Call <see cref="OnIteration"/>
/// from the loop's hook: it validates every <see cref="TrainingValidationOptions.ValFreq"/> iterations and after the last.
/// </summary>
public sealed class TrainingValidator : IDisposable
{
    public const string CsvFileName = "validation.csv";
    public const string GridFolderName = "validation";

    readonly UNetModelSwin _unet;
    readonly SuperResolver _resolver;
    readonly List<(string Name, IImageQualityMetric Metric)> _metrics = [];
    readonly List<(string Stem, string Lr, string? Gt)> _images;
    readonly int _steps;
    bool _csvChecked;

    /// <param name="options">Images, frequency, metrics.</param>
    /// <param name="unetOptions">Shape of the trained UNet (the EMA state dict is loaded into a copy of this shape).</param>
    /// <param name="autoencoder">The run's frozen VQ autoencoder (shared; not disposed, not modified).</param>
    /// <param name="diffusion">The run's diffusion settings.</param>
    /// <param name="oneStep">True for the SinSR student (1 step), false for the ResShift teacher (T steps).</param>
    /// <param name="outputFolder">The run folder.</param>
    /// <param name="device">Torch device of the networks.</param>
    public TrainingValidator(TrainingValidationOptions options, UNetModelSwinOptions unetOptions, VQModelTorch autoencoder, ResShiftScheduleOptions diffusion,
                             bool oneStep, string outputFolder, string device = "cpu")
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(unetOptions);
        ArgumentNullException.ThrowIfNull(autoencoder);
        ArgumentNullException.ThrowIfNull(diffusion);
        ArgumentException.ThrowIfNullOrWhiteSpace(outputFolder);
        options.Validate();
        Options = options;
        OutputFolder = outputFolder;
        _images = Pair(options);
        _steps = oneStep ? 1 : new ResShiftSchedule(diffusion).NumTimesteps;   // T after any respacing
        _unet = new UNetModelSwin(unetOptions);
        try
        {
            foreach (var p in _unet.parameters()) p.requires_grad = false;
            // ChannelsLastAutoencoder off: it would re-lay the weights of the VQ the trainer shares.
            _resolver = new SuperResolver(_unet, autoencoder, diffusion, new SuperResolverOptions
            {
                Steps = _steps, Seed = options.Seed, Device = device, ChannelsLastAutoencoder = false,
            });
            var models = Assets.ModelDirectory.Resolve(options.ModelDirectory);
            var skipped = new List<(string, string)>();
            bool hasGt = options.GtFolder is not null;
            foreach (var name in options.Metrics.Distinct(StringComparer.OrdinalIgnoreCase))
            {
                if (!MetricRegistry.IsRegistered(name))
                    throw new ArgumentException($"Unknown metric '{name}'; known: {string.Join(", ", MetricRegistry.Names)}.", nameof(options));
                if (!hasGt && MetricRegistry.ModeOf(name) == MetricMode.FullReference) { skipped.Add((name, "no GT folder")); continue; }
                try { _metrics.Add((name, MetricRegistry.Create(name, EvalRunner.SettingsFor(name), models, device))); }
                catch (ModelAssetMissingException e) { skipped.Add((name, e.Message.Split('\n')[0])); }
            }
            Skipped = skipped;
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    public TrainingValidationOptions Options { get; }
    public string OutputFolder { get; }
    public string CsvPath => Path.Combine(OutputFolder, CsvFileName);
    /// <summary>Metrics in use, in CSV column order.</summary>
    public IReadOnlyList<string> Metrics => _metrics.Select(m => m.Name).ToList();
    /// <summary>Metrics not computed and why (no GT, weights missing).</summary>
    public IReadOnlyList<(string Metric, string Reason)> Skipped { get; } = [];
    /// <summary>Images validated each time.</summary>
    public int ImageCount => _images.Count;
    /// <summary>Sampling steps of the SR (1 or T).</summary>
    public int Steps => _steps;

    /// <summary>True when <paramref name="iteration"/> is a multiple of val_freq or the last one.</summary>
    public bool IsDue(long iteration, long totalIterations) => iteration % Options.ValFreq == 0 || iteration == totalIterations;

    /// <summary>The loop hook: validates the report's EMA when due; returns the result or null.</summary>
    public TrainingValidationResult? OnIteration(TrainingIterationReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        return IsDue(report.Iteration, report.TotalIterations) ? Validate(report.Iteration, report.Ema.State) : null;
    }

    /// <summary>Loads <paramref name="weights"/> (the EMA state dict) into the validation UNet, runs SR and the metrics, writes the row and grid.</summary>
    public TrainingValidationResult Validate(long iteration, IReadOnlyDictionary<string, Tensor> weights)
    {
        ArgumentNullException.ThrowIfNull(weights);
        var clock = Stopwatch.StartNew();
        using (no_grad()) Checkpoint.LoadInto(_unet, weights, strict: true, source: "EMA state");
        _unet.eval();
        var scores = _metrics.ToDictionary(m => m.Name, _ => new List<double>(), StringComparer.Ordinal);
        var errors = new List<string>();
        var gridRows = new List<Tensor>();
        try
        {
            foreach (var (stem, lrPath, gtPath) in _images)
            {
                using var scope = NewDisposeScope();
                using var _ = no_grad();
                var lr = ImageIO.ReadTensor(lrPath);
                // Quantized to 8 bits as the PNG that `hfdiff eval` would score.
                var sr = _resolver.SuperResolve(lr).clamp(0, 1).mul(255).round().div(255).cpu();
                var gt = gtPath is null ? null : ImageIO.ReadTensor(gtPath);
                bool gtFits = gt is not null && gt.shape.SequenceEqual(sr.shape);
                if (gt is not null && !gtFits) errors.Add($"{stem}: GT is {gt.shape[3]}x{gt.shape[2]}, SR {sr.shape[3]}x{sr.shape[2]}; full-reference metrics skipped");
                foreach (var (name, metric) in _metrics)
                {
                    if (metric.Mode == MetricMode.FullReference && !gtFits) continue;
                    try { scores[name].Add(metric.Score(sr, metric.Mode == MetricMode.FullReference ? gt : null)); }
                    catch (Exception e) when (e is ArgumentException or InvalidOperationException or InvalidDataException)
                    {
                        errors.Add($"{stem}: {name}: {e.Message}");
                    }
                }
                if (gridRows.Count < Options.GridImages) gridRows.Add(GridRow(lr, sr, gtFits ? gt : null).DetachFromDisposeScope());
            }
            var means = scores.ToDictionary(kv => kv.Key, kv => kv.Value.Count == 0 ? double.NaN : kv.Value.Average(), StringComparer.Ordinal);
            string? grid = gridRows.Count == 0 ? null : WriteGrid(iteration, gridRows);
            clock.Stop();
            AppendRow(iteration, means, clock.Elapsed.TotalSeconds);
            return new TrainingValidationResult
            {
                Iteration = iteration, Images = _images.Count, Means = means, Errors = errors, Seconds = clock.Elapsed.TotalSeconds,
                CsvPath = CsvPath, GridPath = grid,
            };
        }
        finally
        {
            foreach (var t in gridRows) t.Dispose();
        }
    }

    /// <summary>One grid row: LR crop (nearest ×sf) | SR crop | GT crop, 4-pixel white gaps; (3, c, w) in [0, 1].</summary>
    Tensor GridRow(Tensor lr, Tensor sr, Tensor? gt)
    {
        using var scope = NewDisposeScope();
        int sf = _resolver.Sf;
        long h = sr.shape[2], w = sr.shape[3];
        long side = Math.Min(Options.GridCrop, Math.Min(h, w)) / sf * sf;
        long top = (h - side) / 2 / sf * sf, left = (w - side) / 2 / sf * sf;
        var lrCrop = lr.cpu().narrow(2, top / sf, side / sf).narrow(3, left / sf, side / sf);
        var lrUp = nn.functional.interpolate(lrCrop, scale_factor: [sf, sf], mode: InterpolationMode.Nearest);
        var gap = ones(1, 3, side, 4);
        var parts = new List<Tensor> { lrUp, gap, sr.narrow(2, top, side).narrow(3, left, side) };
        if (gt is not null) parts.AddRange([gap, gt.cpu().narrow(2, top, side).narrow(3, left, side)]);
        return cat(parts, 3)[0].MoveToOuterDisposeScope();
    }

    string WriteGrid(long iteration, List<Tensor> rows)
    {
        using var scope = NewDisposeScope();
        long width = rows.Max(r => r.shape[2]);
        var padded = new List<Tensor>();
        foreach (var r in rows)
        {
            var row = r.shape[2] < width ? cat([r, ones(3, r.shape[1], width - r.shape[2])], 2) : r;
            if (padded.Count > 0) padded.Add(ones(3, 4, width));
            padded.Add(row);
        }
        var dir = Path.Combine(OutputFolder, GridFolderName);
        Directory.CreateDirectory(dir);
        var path = Path.Combine(dir, string.Create(CultureInfo.InvariantCulture, $"iter_{iteration:D9}.png"));
        ImageIO.WritePng(cat(padded, 1), path);
        return path;
    }

    void AppendRow(long iteration, IReadOnlyDictionary<string, double> means, double seconds)
    {
        Directory.CreateDirectory(OutputFolder);
        var header = string.Join(",", new[] { "iteration", "images" }.Concat(Metrics).Append("seconds"));
        if (!_csvChecked)
        {
            // A resumed run redoes the iterations after its checkpoint: drop their rows; a file with other columns is kept aside.
            var keep = new List<string>();
            if (File.Exists(CsvPath))
            {
                var lines = File.ReadAllLines(CsvPath);
                if (lines.Length > 0 && lines[0] == header)
                    keep.AddRange(lines.Skip(1).Where(l => long.TryParse(l.Split(',', 2)[0], NumberStyles.None, CultureInfo.InvariantCulture, out var it) && it < iteration));
                else if (lines.Length > 0) File.Move(CsvPath, CsvPath + ".old", overwrite: true);
            }
            AtomicFile.WriteAllText(CsvPath, string.Concat(keep.Prepend(header).Select(l => l + "\n")));
            _csvChecked = true;
        }
        var sb = new StringBuilder().Append(iteration.ToString(CultureInfo.InvariantCulture)).Append(',').Append(_images.Count.ToString(CultureInfo.InvariantCulture));
        foreach (var m in Metrics) sb.Append(',').Append(double.IsNaN(means[m]) ? "" : means[m].ToString("R", CultureInfo.InvariantCulture));
        sb.Append(',').Append(seconds.ToString("F3", CultureInfo.InvariantCulture)).Append('\n');
        File.AppendAllText(CsvPath, sb.ToString());
    }

    static readonly string[] Extensions = [".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff", ".webp"];

    static List<(string, string, string?)> Pair(TrainingValidationOptions o)
    {
        static List<string> List(string dir) => Directory.EnumerateFiles(dir).Where(p => Extensions.Contains(Path.GetExtension(p).ToLowerInvariant()))
            .OrderBy(p => Path.GetFileName(p), StringComparer.Ordinal).ToList();
        var lr = List(o.LrFolder);
        if (lr.Count == 0) throw new InvalidDataException($"Validation LR folder '{o.LrFolder}' has no images.");
        if (o.MaxImages > 0) lr = lr.Take(o.MaxImages).ToList();
        Dictionary<string, string>? gt = o.GtFolder is null ? null
            : List(o.GtFolder).GroupBy(p => Path.GetFileNameWithoutExtension(p), StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.First(), StringComparer.Ordinal);
        var result = new List<(string, string, string?)>();
        var missing = new List<string>();
        foreach (var p in lr)
        {
            var stem = Path.GetFileNameWithoutExtension(p);
            string? g = null;
            if (gt is not null && !gt.TryGetValue(stem, out g)) missing.Add(Path.GetFileName(p));
            result.Add((stem, p, g));
        }
        if (missing.Count > 0)
            throw new InvalidDataException($"Validation GT folder '{o.GtFolder}' has no image named like {missing.Count} LR image(s): {string.Join(", ", missing.Take(10))}.");
        return result;
    }

    public void Dispose()
    {
        _resolver?.Dispose();
        foreach (var (_, m) in _metrics) m.Dispose();
        _metrics.Clear();
        _unet?.Dispose();
    }
}
