using System.Globalization;
using System.Text;
using System.Text.Json;
using HfDiff.Torch.Imaging;

namespace HfDiff.Torch.Evaluation;

/// <summary>
/// The comparison tables in the papers' layout: one row per model, one column per (dataset, metric) with an arrow for
/// the better direction; per column the best value in bold and the second best underlined. Written as
/// <c>table.md</c>, <c>table.csv</c>, <c>timing.md</c> (inference time, Table 5 layout) and <c>results.json</c>.
/// </summary>
public static class EvalTables
{
    static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    public static void Write(string outputFolder, EvalResults r)
    {
        Directory.CreateDirectory(outputFolder);
        AtomicFile.WriteAllText(Path.Combine(outputFolder, "table.md"), Markdown(r));
        AtomicFile.WriteAllText(Path.Combine(outputFolder, "table.csv"), Csv(r));
        AtomicFile.WriteAllText(Path.Combine(outputFolder, "timing.md"), TimingMarkdown(r));
        var ablation = AblationMarkdown(r);
        if (ablation is not null) AtomicFile.WriteAllText(Path.Combine(outputFolder, "table4.md"), ablation);
        AtomicFile.WriteAllText(Path.Combine(outputFolder, "results.json"),
            JsonSerializer.Serialize(r, new JsonSerializerOptions { WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower }));
    }

    /// <summary>The (dataset, metric) columns that have at least one value.</summary>
    public static IReadOnlyList<(EvalDatasetInfo Dataset, EvalMetricInfo Metric)> Columns(EvalResults r) =>
        r.Datasets.SelectMany(d => r.Metrics.Select(m => (d, m)))
            .Where(c => r.Models.Any(model => r.Mean(model.Name, c.d.Name, c.m.Name) is not null)).ToList();

    /// <summary>Rank of each model's value in a column: 0 = best, 1 = second, else 2 (ties share the rank).</summary>
    public static Dictionary<string, int> Ranks(EvalResults r, string dataset, EvalMetricInfo metric)
    {
        var values = r.Models.Select(m => (m.Name, V: r.Mean(m.Name, dataset, metric.Name)?.Mean)).Where(x => x.V is not null)
            .Select(x => (x.Name, V: x.V!.Value)).ToList();
        var distinct = values.Select(v => v.V).Distinct().OrderBy(v => metric.LowerIsBetter ? v : -v).ToList();
        return values.ToDictionary(v => v.Name, v => Math.Min(distinct.IndexOf(v.V), 2));
    }

    public static string Arrow(EvalMetricInfo m) => m.LowerIsBetter ? "↓" : "↑";

    public static string Format(string metric, double v) =>
        v.ToString(metric.ToLowerInvariant() switch { "psnr" => "F2", "niqe" or "musiq" => "F3", _ => "F4" }, Inv);

    static string Markdown(EvalResults r)
    {
        var cols = Columns(r);
        var sb = new StringBuilder();
        sb.Append("| Model |").AppendJoin("", cols.Select(c => $" {c.Dataset.Name} {c.Metric.Name.ToUpperInvariant()}{Arrow(c.Metric)} |")).Append('\n');
        sb.Append("|---|").AppendJoin("", cols.Select(_ => "---:|")).Append('\n');
        var ranks = cols.Select(c => Ranks(r, c.Dataset.Name, c.Metric)).ToList();
        foreach (var m in r.Models)
        {
            sb.Append("| ").Append(m.Name).Append(" |");
            for (int i = 0; i < cols.Count; i++)
            {
                var v = r.Mean(m.Name, cols[i].Dataset.Name, cols[i].Metric.Name);
                if (v is null) { sb.Append(" – |"); continue; }
                string s = Format(cols[i].Metric.Name, v.Mean);
                int rank = ranks[i][m.Name];
                sb.Append(' ').Append(rank == 0 && r.Models.Count > 1 ? $"**{s}**" : rank == 1 ? $"<u>{s}</u>" : s).Append(" |");
            }
            sb.Append('\n');
        }
        sb.Append('\n').Append("Best in **bold**, second <u>underlined</u>. PSNR/SSIM on Y of YCbCr; means over the images of each set");
        sb.Append(" (counts in table.csv and results.json).\n");
        foreach (var s in r.Skipped)
            sb.Append($"\n- {s.Metric}{(s.Dataset is null ? "" : $" on {s.Dataset}")}: skipped — {s.Reason}");
        if (r.Failures.Count > 0)
            sb.Append($"\n- {r.Failures.Count} image(s) failed (see results.json), e.g. {r.Failures[0].Dataset}/{r.Failures[0].Model}/{r.Failures[0].Image}: {r.Failures[0].Message}");
        return sb.Append('\n').ToString();
    }

    static string Csv(EvalResults r)
    {
        var cols = Columns(r);
        var sb = new StringBuilder("model");
        foreach (var c in cols) sb.Append($",{c.Dataset.Name}/{c.Metric.Name},{c.Dataset.Name}/{c.Metric.Name}/n");
        sb.Append('\n');
        foreach (var m in r.Models)
        {
            sb.Append(m.Name);
            foreach (var c in cols)
            {
                var v = r.Mean(m.Name, c.Dataset.Name, c.Metric.Name);
                sb.Append(',').Append(v is null ? "" : v.Mean.ToString("R", Inv)).Append(',').Append(v?.Count.ToString(Inv) ?? "");
            }
            sb.Append('\n');
        }
        return sb.ToString();
    }

    /// <summary>HF-Diff's Table 4 rows, in the paper's order, and the model names that stand for them (the presets of
    /// <c>hfdiff train student --losses</c>; '+' is not allowed in names, so hf+dm is <c>hf-dm</c> or <c>hf_dm</c>).</summary>
    public static readonly IReadOnlyList<(string Row, string[] Names)> AblationRows =
    [
        ("Baseline (SinSR)", ["sinsr", "baseline"]), ("HF only", ["hf"]), ("DM only", ["dm"]),
        ("VGG only", ["vgg"]), ("LPIPS only", ["lpips"]), ("HF + DM", ["hf-dm", "hf_dm", "hfdm", "hf-diff", "hfdiff"]),
    ];

    /// <summary>The ablation table (Table 4 layout) when at least two models are named after its rows; else null.</summary>
    public static string? AblationMarkdown(EvalResults r)
    {
        var rows = AblationRows.Select(row => (row.Row, Model: r.Models.FirstOrDefault(m => row.Names.Contains(m.Name, StringComparer.OrdinalIgnoreCase))))
            .Where(x => x.Model is not null).ToList();
        if (rows.Count < 2) return null;
        var sb = new StringBuilder("Ablation in the layout of HF-Diff's Table 4 (rows found among the evaluated models).\n");
        foreach (var d in r.Datasets)
        {
            var metrics = r.Metrics.Where(m => rows.Any(x => r.Mean(x.Model!.Name, d.Name, m.Name) is not null)).ToList();
            if (metrics.Count == 0) continue;
            sb.Append($"\n**{d.Name}**\n\n| Variant | Model |").AppendJoin("", metrics.Select(m => $" {m.Name.ToUpperInvariant()}{Arrow(m)} |")).Append('\n');
            sb.Append("|---|---|").AppendJoin("", metrics.Select(_ => "---:|")).Append('\n');
            foreach (var (row, model) in rows)
            {
                sb.Append($"| {row} | {model!.Name} |");
                foreach (var m in metrics)
                {
                    var v = r.Mean(model.Name, d.Name, m.Name);
                    sb.Append(' ').Append(v is null ? "–" : Format(m.Name, v.Mean)).Append(" |");
                }
                sb.Append('\n');
            }
        }
        return sb.ToString();
    }

    static string TimingMarkdown(EvalResults r)
    {
        var sb = new StringBuilder("| Model | Steps | # Params (M) | Time / image (s) | Peak RSS (GB) | Device | Input |\n|---|---:|---:|---:|---:|---|---|\n");
        foreach (var t in r.Timing)
            sb.Append($"| {t.Model} | {t.Steps?.ToString(Inv) ?? "–"} | {(t.Parameters is long p ? (p / 1e6).ToString("F2", Inv) : "–")} | " +
                      $"{t.MedianSeconds.ToString("F3", Inv)} (min {t.MinSeconds.ToString("F3", Inv)}, max {t.MaxSeconds.ToString("F3", Inv)}, {t.Runs} runs) | " +
                      $"{(t.PeakRssGb is double g ? g.ToString("F2", Inv) : "–")} | {t.Device} | {t.LrSize}² → {t.LrSize * t.Scale}² |\n");
        if (r.Timing.Count == 0) sb.Append("\n(no timing: no model computes its outputs here, or timing was off)\n");
        else sb.Append($"\nMedian of the timed runs after one warm-up, on a seeded random {r.Timing[0].LrSize}² LR image; machine load at the time is not controlled.\n");
        return sb.ToString();
    }
}
