using System.Diagnostics;
using HfDiff.Torch.Assets;
using HfDiff.Torch.Imaging;
using HfDiff.Torch.Metrics;
using HfDiff.Torch.Pipelines;
using HfDiff.Torch.Diagnostics;
using static TorchSharp.torch;

namespace HfDiff.Torch.Evaluation;

/// <summary>
/// The papers' comparison in one call: every model super-resolves every test image (SR images written under
/// <c>sr/&lt;dataset&gt;/&lt;model&gt;/</c>), every image is scored with every metric that applies (per-image CSVs under
/// <c>scores/</c>), and the means become <c>table.md</c>/<c>table.csv</c>/<c>results.json</c> (<see cref="EvalTables"/>).
/// A second run into the same folder reuses every finished SR image and score. Sharded runs write their part and are
/// combined by <see cref="Merge"/>.
/// </summary>
/// <remarks>Scores follow the SinSR/OSEDiff/HF-Diff evaluation: PSNR and SSIM on Y of YCbCr (pyiqa <c>test_y_channel</c>,
/// <c>color_space='ycbcr'</c>), LPIPS only where GT exists, the no-reference metrics everywhere; SR images are scored as
/// written (8-bit PNG), as the papers score their saved outputs.</remarks>
public sealed class EvalRunner(EvalOptions options)
{
    public EvalOptions Options { get; } = Validated(options);

    static EvalOptions Validated(EvalOptions o) { ArgumentNullException.ThrowIfNull(o); o.Validate(); return o; }

    public static string SrFolder(string output, string dataset, string model) => Path.Combine(output, "sr", dataset, model);
    public static string ScoreFolder(string output, string dataset) => Path.Combine(output, "scores", dataset);

    /// <summary>pyiqa keyword arguments of a metric in the papers' evaluation.</summary>
    public static Dictionary<string, string> SettingsFor(string metric) =>
        metric.ToLowerInvariant() is "psnr" or "ssim"
            ? new(StringComparer.OrdinalIgnoreCase) { ["test_y_channel"] = "true", ["color_space"] = "ycbcr" }
            : new(StringComparer.OrdinalIgnoreCase);

    public EvalResults Run(IReadOnlyList<EvalDataset> datasets, IReadOnlyList<IEvalModel> models,
                           IProgress<EvalProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(datasets);
        ArgumentNullException.ThrowIfNull(models);
        if (datasets.Count == 0) throw new ArgumentException("No dataset to evaluate on.", nameof(datasets));
        if (models.Count == 0) throw new ArgumentException("No model to evaluate.", nameof(models));
        Unique(datasets.Select(d => d.Name), "dataset");
        Unique(models.Select(m => m.Name), "model");
        foreach (var m in models) EvalNames.Check(m.Name, "model");
        string output = Path.GetFullPath(Options.OutputFolder);
        Directory.CreateDirectory(output);

        var skipped = new List<EvalSkip>();
        var metrics = CreateMetrics(skipped);
        var failures = new List<EvalFailure>();
        try
        {
            var shards = datasets.Select(d => d.Shard(Options.Shard.Index, Options.Shard.Count)).ToList();
            foreach (var d in shards.Where(d => !d.HasGt))
                foreach (var m in metrics.Where(m => m.Mode == MetricMode.FullReference))
                    skipped.Add(new EvalSkip(m.Name, d.Name, "the dataset has no GT"));
            int total = shards.Sum(d => d.Images.Count) * models.Count, done = 0;
            foreach (var d in shards)
                foreach (var model in models)
                {
                    var applicable = metrics.Where(m => d.HasGt || m.Mode == MetricMode.NoReference).ToList();
                    var csv = Path.Combine(ScoreFolder(output, d.Name), model.Name + Options.ShardTag + ".csv");
                    var table = ScoreTable.Load(csv);
                    if (model is SuperResolverEvalModel { Resolver.Options.BatchSize: > 1 } batched) SuperResolveInBatches(output, d, batched);
                    foreach (var image in d.Images)
                    {
                        cancellationToken.ThrowIfCancellationRequested();
                        string? error = null;
                        bool reused = false;
                        try { reused = EvaluateImage(output, d, model, image, applicable, table); }
                        catch (Exception e) when (IsPerImageError(e))
                        {
                            error = e.Message;
                            failures.Add(new EvalFailure(d.Name, model.Name, image.Stem, e.Message));
                        }
                        if (!table.Images.Contains(image.Stem)) table.Set(image.Stem, "", double.NaN);
                        table.Save(csv, metrics.Select(m => m.Name).ToList());
                        progress?.Report(new EvalProgress(++done, total, d.Name, model.Name, image.Stem, reused, error));
                    }
                }

            var timing = Options.Shard.Index == 0 && Options.TimingLrSize > 0 ? Time(models) : [];
            new EvalManifest
            {
                Datasets = datasets.Select(d => new EvalDatasetInfo(d.Name, Path.GetFullPath(d.LrDir), d.GtDir is null ? null : Path.GetFullPath(d.GtDir), d.Images.Count)).ToList(),
                Models = models.Select(Info).ToList(),
                Metrics = Options.Metrics.Select(n => new EvalMetricInfo(n, MetricRegistry.LowerIsBetter(n), MetricRegistry.ModeOf(n) == MetricMode.FullReference)).ToList(),
                Skipped = skipped, Timing = timing, Failures = failures,
                ShardIndex = Options.Shard.Index, ShardCount = Options.Shard.Count,
            }.Save(output, Options.ShardTag);
        }
        finally
        {
            foreach (var m in metrics) m.Dispose();
        }
        return Options.IsSharded ? Collect(output, allShards: false) : Merge(output);
    }

    static void Unique(IEnumerable<string> names, string what)
    {
        var dup = names.GroupBy(n => n, StringComparer.OrdinalIgnoreCase).FirstOrDefault(g => g.Count() > 1);
        if (dup is not null) throw new ArgumentException($"Two {what}s are named '{dup.Key}'.");
    }

    static EvalModelInfo Info(IEvalModel m) => new(m.Name, m.Description, m.ParameterCount, m.Computes);

    static bool IsPerImageError(Exception e) => e is ImageDecodeException or IOException or InvalidDataException or ArgumentException
        or NotSupportedException or Samplers.NonFiniteOutputException;

    /// <summary>Metrics that can run here; the others are listed in <paramref name="skipped"/> with the reason.</summary>
    List<NamedMetric> CreateMetrics(List<EvalSkip> skipped)
    {
        var list = new List<NamedMetric>();
        foreach (var name in Options.Metrics)
        {
            if (!MetricRegistry.IsRegistered(name))
                throw new ArgumentException($"Unknown metric '{name}'; known: {string.Join(", ", MetricRegistry.Names)}.");
            try { list.Add(new NamedMetric(name, MetricRegistry.Create(name, SettingsFor(name), Options.Models ?? ModelDirectory.Resolve(null), Options.Device))); }
            catch (ModelAssetMissingException e) { skipped.Add(new EvalSkip(name, null, e.Message)); }
        }
        return list;
    }

    /// <summary>A metric under the name the user asked for (pyiqa renames e.g. psnr with test_y_channel to psnry).</summary>
    sealed record NamedMetric(string Name, IImageQualityMetric Metric) : IDisposable
    {
        public MetricMode Mode => Metric.Mode;
        public double Score(TorchSharp.torch.Tensor sr, TorchSharp.torch.Tensor? gt) => Metric.Score(sr, gt);
        public void Dispose() => Metric.Dispose();
    }

    /// <summary>Makes (or reuses) the SR image, then fills the missing score cells. True when nothing had to be computed.</summary>
    bool EvaluateImage(string output, EvalDataset d, IEvalModel model, EvalImage image, List<NamedMetric> metrics, ScoreTable table)
    {
        var dir = SrFolder(output, d.Name, model.Name);
        var sr = FindImage(dir, image.Stem);
        bool reused = sr is not null;
        if (sr is null)
        {
            Directory.CreateDirectory(dir);
            if (model is FolderEvalModel folder)
            {
                var src = folder.Find(image, d.Name) ?? throw new FileNotFoundException($"no SR image named '{image.Stem}.*' in '{folder.Folder}'");
                sr = Path.Combine(dir, image.Stem + Path.GetExtension(src).ToLowerInvariant());
                AtomicFile.WriteAllBytes(sr, File.ReadAllBytes(src));
            }
            else
            {
                using var scope = NewDisposeScope();
                var t = model.SuperResolve(image, Options.Scale);
                sr = Path.Combine(dir, image.Stem + ".png");
                ImageIO.WritePng(t, sr);
            }
        }
        var todo = metrics.Where(m => !table.TryGet(image.Stem, m.Name, out _)).ToList();
        if (todo.Count == 0) return reused;
        using (var scope = NewDisposeScope())
        using (var _ = no_grad())
        {
            var srT = ImageIO.ReadTensor(sr);
            Tensor? gtT = null;
            if (image.GtPath is not null && todo.Any(m => m.Mode == MetricMode.FullReference))
            {
                gtT = ImageIO.ReadTensor(image.GtPath);
                if (!gtT.shape.SequenceEqual(srT.shape))
                    throw new InvalidDataException($"SR image is {srT.shape[3]}x{srT.shape[2]} but GT '{Path.GetFileName(image.GtPath)}' is {gtT.shape[3]}x{gtT.shape[2]}");
            }
            var errors = new List<string>();
            foreach (var m in todo)
            {
                try { table.Set(image.Stem, m.Name, m.Score(srT, m.Mode == MetricMode.FullReference ? gtT : null)); }
                catch (Exception e) when (IsPerImageError(e) || e is InvalidOperationException) { errors.Add($"{m.Name}: {e.Message}"); }
            }
            if (errors.Count > 0) throw new InvalidDataException(string.Join("; ", errors));
        }
        return false;
    }

    /// <summary>
    /// Writes the missing SR images of <paramref name="d"/> ahead of scoring, <see cref="SuperResolverOptions.BatchSize"/>
    /// same-size images per network call (outputs as one by one). A batch that fails is left to the per-image pass, which
    /// then reports the image at fault.
    /// </summary>
    void SuperResolveInBatches(string output, EvalDataset d, SuperResolverEvalModel model)
    {
        var dir = SrFolder(output, d.Name, model.Name);
        var todo = d.Images.Where(i => FindImage(dir, i.Stem) is null).ToList();
        foreach (var chunk in todo.Chunk(model.Resolver.Options.BatchSize))
        {
            var read = new List<(EvalImage Image, Tensor Lr)>();
            try
            {
                foreach (var image in chunk)
                {
                    try { read.Add((image, ImageIO.ReadTensor(image.LrPath))); }
                    catch (Exception e) when (IsPerImageError(e)) { }   // reported by the per-image pass
                }
                foreach (var group in read.GroupBy(r => (r.Lr.shape[2], r.Lr.shape[3])).Where(g => g.Count() > 1))
                {
                    var items = group.ToList();
                    try
                    {
                        using var scope = NewDisposeScope();
                        var sr = model.Resolver.SuperResolveBatch(cat(items.Select(i => i.Lr).ToArray(), 0));
                        Directory.CreateDirectory(dir);
                        for (int i = 0; i < items.Count; i++) ImageIO.WritePng(sr[i..(i + 1)], Path.Combine(dir, items[i].Image.Stem + ".png"));
                    }
                    catch (Exception e) when (IsPerImageError(e)) { }
                }
            }
            finally { foreach (var r in read) r.Lr.Dispose(); }
        }
    }

    static readonly string[] ImageExtensions = [".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff", ".webp"];

    public static string? FindImage(string dir, string stem) =>
        ImageExtensions.Select(e => Path.Combine(dir, stem + e)).FirstOrDefault(File.Exists);

    /// <summary>The inference-time table: one warm-up, then the median of <see cref="EvalOptions.TimingRuns"/> runs on a
    /// seeded random LR image of the fixed size; peak RSS during the timed runs.</summary>
    List<EvalTimingRow> Time(IReadOnlyList<IEvalModel> models)
    {
        var rows = new List<EvalTimingRow>();
        int s = Options.TimingLrSize;
        using var lr = rand([1, 3, s, s], generator: new Generator(1234));
        foreach (var m in models.Where(m => m.Computes))
        {
            using (var _ = NewDisposeScope()) m.SuperResolve(lr, Options.Scale);   // warm-up
            bool reset = ProcessMemory.TryResetPeak();
            var times = new List<double>();
            for (int r = 0; r < Options.TimingRuns; r++)
            {
                var clock = Stopwatch.StartNew();
                using (var _ = NewDisposeScope()) m.SuperResolve(lr, Options.Scale);
                times.Add(clock.Elapsed.TotalSeconds);
            }
            times.Sort();
            double median = times.Count % 2 == 1 ? times[times.Count / 2] : (times[times.Count / 2 - 1] + times[times.Count / 2]) / 2;
            double? peak = reset && ProcessMemory.PeakRssBytes() is long b ? b / 1e9 : null;
            int? steps = m is SuperResolverEvalModel sr ? sr.Resolver.Steps : null;
            rows.Add(new EvalTimingRow(m.Name, m.ParameterCount, steps, s, Options.Scale, median, times[0], times[^1], times.Count, peak, Options.Device));
        }
        return rows;
    }

    /// <summary>Builds the results of every run and shard found in <paramref name="outputFolder"/> and writes the tables.</summary>
    public static EvalResults Merge(string outputFolder)
    {
        var results = Collect(Path.GetFullPath(outputFolder), allShards: true);
        EvalTables.Write(outputFolder, results);
        return results;
    }

    static EvalResults Collect(string output, bool allShards)
    {
        var manifests = EvalManifest.LoadAll(output);
        if (manifests.Count == 0) throw new DirectoryNotFoundException($"'{output}' holds no evaluation run (no runs/manifest*.json).");
        if (allShards)
        {
            foreach (var g in manifests.Where(m => m.ShardCount > 1).GroupBy(m => m.ShardCount))
            {
                var missing = Enumerable.Range(0, g.Key).Except(g.Select(m => m.ShardIndex)).ToList();
                if (missing.Count > 0) throw new InvalidDataException($"'{output}': shards {string.Join(", ", missing)} of {g.Key} have not been written yet.");
            }
        }
        var datasets = manifests.SelectMany(m => m.Datasets).GroupBy(d => d.Name).Select(g => g.First()).ToList();
        var models = manifests.SelectMany(m => m.Models).GroupBy(d => d.Name).Select(g => g.First()).ToList();
        var metrics = manifests.SelectMany(m => m.Metrics).GroupBy(d => d.Name).Select(g => g.First()).ToList();
        var skipped = manifests.SelectMany(m => m.Skipped).Distinct().ToList();
        var means = new Dictionary<string, IReadOnlyDictionary<string, IReadOnlyDictionary<string, EvalMean>>>();
        foreach (var model in models)
        {
            var perDataset = new Dictionary<string, IReadOnlyDictionary<string, EvalMean>>();
            foreach (var d in datasets)
            {
                var table = LoadScores(output, d.Name, model.Name);
                var perMetric = new Dictionary<string, EvalMean>();
                foreach (var metric in metrics)
                {
                    var v = table.Values(metric.Name).ToList();
                    if (v.Count > 0) perMetric[metric.Name] = new EvalMean(v.Average(), v.Count);
                }
                perDataset[d.Name] = perMetric;
            }
            means[model.Name] = perDataset;
        }
        return new EvalResults
        {
            Datasets = datasets, Models = models, Metrics = metrics, Means = means, Skipped = skipped,
            Timing = manifests.SelectMany(m => m.Timing).GroupBy(t => t.Model).Select(g => g.First()).ToList(),
            Failures = manifests.SelectMany(m => m.Failures).ToList(),
        };
    }

    /// <summary>All per-image scores of one (dataset, model), shards merged.</summary>
    public static ScoreTable LoadScores(string output, string dataset, string model)
    {
        var dir = ScoreFolder(output, dataset);
        var all = new ScoreTable();
        if (!Directory.Exists(dir)) return all;
        var files = Directory.GetFiles(dir, model + "*.csv").Where(p =>
        {
            var n = Path.GetFileName(p);
            return n == model + ".csv" || (n.StartsWith(model + ".shard-", StringComparison.Ordinal) && n.EndsWith(".csv", StringComparison.Ordinal));
        });
        foreach (var f in files.Order(StringComparer.Ordinal)) all.Merge(ScoreTable.Load(f));
        return all;
    }
}
