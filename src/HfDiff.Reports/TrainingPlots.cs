using System.Globalization;
using HfDiff.Torch.Imaging;

namespace HfDiff.Reports;

/// <summary>
/// Charts of a training run, drawn from its CSV log (<c>train_log.csv</c>: <c>iteration,lr,&lt;term&gt;…,grad_norm,skipped,seconds</c>).
/// Lives here, not in HfDiff.Torch, because ScottPlot brings SkiaSharp 3 (see the project file); the CLI calls it from the
/// training loop's hook at each checkpoint.
/// </summary>
public static class TrainingPlots
{
    /// <summary>Default file name of the loss curves in the run folder.</summary>
    public const string LossCurvesFileName = "loss_curves.png";

    /// <summary>
    /// Plots every loss term of <paramref name="logCsv"/> against the iteration, log10 scale, as a moving average (window
    /// ≈ 2 % of the rows) over the raw values (faint); skipped iterations and empty cells are left out. Writes the PNG
    /// atomically. Returns false (and writes nothing) when the log has no plottable row.
    /// </summary>
    public static bool WriteLossCurves(string logCsv, string pngPath, int width = 960, int height = 540)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(logCsv);
        ArgumentException.ThrowIfNullOrWhiteSpace(pngPath);
        var bytes = LossCurves(ReadLog(logCsv), Path.GetFileName(Path.GetDirectoryName(Path.GetFullPath(logCsv))) ?? "", width, height);
        if (bytes is null) return false;
        var dir = Path.GetDirectoryName(Path.GetFullPath(pngPath));
        if (dir is not null) Directory.CreateDirectory(dir);
        AtomicFile.WriteAllBytes(pngPath, bytes);
        return true;
    }

    /// <summary>The log's term columns: name → (iteration, value) of the rows that were not skipped and have a positive, finite value.</summary>
    public static Dictionary<string, List<(double Iteration, double Value)>> ReadLog(string logCsv)
    {
        // The training loop keeps the log open for appending: share it.
        string[] lines;
        using (var stream = new FileStream(logCsv, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete))
        using (var reader = new StreamReader(stream))
            lines = reader.ReadToEnd().Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.TrimEnd('\r')).ToArray();
        if (lines.Length == 0) throw new InvalidDataException($"'{logCsv}' is empty; expected the header of a training log.");
        var header = lines[0].Split(',');
        int it = Array.IndexOf(header, "iteration"), lr = Array.IndexOf(header, "lr"), grad = Array.IndexOf(header, "grad_norm"), skipped = Array.IndexOf(header, "skipped");
        if (it != 0 || lr != 1 || grad < 2 || skipped < 0)
            throw new InvalidDataException($"'{logCsv}' is not a training log (columns '{lines[0]}').");
        var series = new Dictionary<string, List<(double, double)>>(StringComparer.Ordinal);
        for (int c = 2; c < grad; c++) series[header[c]] = [];
        foreach (var line in lines.Skip(1))
        {
            var cells = line.Split(',');
            if (cells.Length != header.Length || cells[skipped] == "1") continue;
            if (!double.TryParse(cells[0], NumberStyles.Float, CultureInfo.InvariantCulture, out var x)) continue;
            for (int c = 2; c < grad; c++)
                if (double.TryParse(cells[c], NumberStyles.Float, CultureInfo.InvariantCulture, out var v) && v > 0 && double.IsFinite(v))
                    series[header[c]].Add((x, v));
        }
        return series;
    }

    /// <summary>PNG bytes of the curves, or null when no term has a value.</summary>
    public static byte[]? LossCurves(IReadOnlyDictionary<string, List<(double Iteration, double Value)>> series, string title, int width = 960, int height = 540)
    {
        ArgumentNullException.ThrowIfNull(series);
        if (series.Values.All(s => s.Count == 0)) return null;
        var plot = new ScottPlot.Plot();
        var palette = new ScottPlot.Palettes.Category10();
        int k = 0;
        foreach (var (name, points) in series)
        {
            if (points.Count == 0) continue;
            var color = palette.GetColor(k++);
            var xs = points.Select(p => p.Iteration).ToArray();
            var ys = points.Select(p => Math.Log10(p.Value)).ToArray();
            if (points.Count > 1)
            {
                var raw = plot.Add.ScatterLine(xs, ys, color.WithAlpha(0.25));
                raw.LineWidth = 1;
            }
            int window = Math.Max(1, points.Count / 50);
            var smooth = plot.Add.ScatterLine(xs, MovingAverage(ys, window), color);
            smooth.LineWidth = 2;
            smooth.MarkerSize = points.Count == 1 ? 6 : 0;
            smooth.LegendText = window > 1 ? $"{name} (mean of {window})" : name;
        }
        plot.Title(string.IsNullOrEmpty(title) ? "training losses" : $"training losses: {title}");
        plot.XLabel("iteration");
        plot.YLabel("log10(loss)");
        plot.ShowLegend(ScottPlot.Alignment.UpperRight);
        return plot.GetImageBytes(width, height, ScottPlot.ImageFormat.Png);
    }

    /// <summary>Trailing mean over up to <paramref name="window"/> values (shorter at the start).</summary>
    public static double[] MovingAverage(IReadOnlyList<double> values, int window)
    {
        var result = new double[values.Count];
        double sum = 0;
        for (int i = 0; i < values.Count; i++)
        {
            sum += values[i];
            if (i >= window) sum -= values[i - window];
            result[i] = sum / Math.Min(i + 1, window);
        }
        return result;
    }
}
