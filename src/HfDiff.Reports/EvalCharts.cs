using HfDiff.Torch.Evaluation;

namespace HfDiff.Reports;

/// <summary>The report's charts, drawn with ScottPlot: per-metric distributions (box plots) and per-image deltas.</summary>
public static class EvalCharts
{
    const int Width = 640, Height = 360;

    /// <summary>One box per model (min, quartiles, median, max of the per-image values) → PNG bytes.</summary>
    public static byte[] Distribution(string title, string metric, bool lowerIsBetter, IReadOnlyList<(string Model, IReadOnlyList<double> Values)> series)
    {
        var plot = new ScottPlot.Plot();
        var boxes = new List<ScottPlot.Box>();
        for (int i = 0; i < series.Count; i++)
        {
            var v = series[i].Values.Order().ToArray();
            if (v.Length == 0) continue;
            boxes.Add(new ScottPlot.Box
            {
                Position = i, WhiskerMin = v[0], BoxMin = Quantile(v, 0.25), BoxMiddle = Quantile(v, 0.5),
                BoxMax = Quantile(v, 0.75), WhiskerMax = v[^1],
            });
        }
        plot.Add.Boxes(boxes);
        plot.Axes.Bottom.SetTicks(Enumerable.Range(0, series.Count).Select(i => (double)i).ToArray(), series.Select(s => s.Model).ToArray());
        plot.Title(title);
        plot.YLabel($"{metric} ({(lowerIsBetter ? "lower" : "higher")} is better)");
        return plot.GetImageBytes(Width, Height, ScottPlot.ImageFormat.Png);
    }

    /// <summary>Per image: model value − baseline value, one bar per image → PNG bytes.</summary>
    public static byte[] Deltas(string title, string metric, IReadOnlyList<string> images, IReadOnlyList<double> deltas)
    {
        var plot = new ScottPlot.Plot();
        var bars = plot.Add.Bars(Enumerable.Range(0, deltas.Count).Select(i => (double)i).ToArray(), deltas.ToArray());
        bars.Horizontal = false;
        if (images.Count <= 30)
        {
            plot.Axes.Bottom.SetTicks(Enumerable.Range(0, images.Count).Select(i => (double)i).ToArray(), images.ToArray());
            plot.Axes.Bottom.TickLabelStyle.Rotation = 45;
            plot.Axes.Bottom.TickLabelStyle.Alignment = ScottPlot.Alignment.MiddleLeft;
        }
        plot.Add.HorizontalLine(0);
        plot.Title(title);
        plot.YLabel($"Δ {metric}");
        return plot.GetImageBytes(Width, Height, ScottPlot.ImageFormat.Png);
    }

    /// <summary>Linear-interpolated quantile of sorted values (numpy's default).</summary>
    public static double Quantile(double[] sorted, double q)
    {
        if (sorted.Length == 1) return sorted[0];
        double pos = q * (sorted.Length - 1);
        int lo = (int)Math.Floor(pos), hi = Math.Min(lo + 1, sorted.Length - 1);
        return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
    }
}
