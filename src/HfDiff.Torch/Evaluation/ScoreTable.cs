using System.Globalization;
using System.Text;
using HfDiff.Torch.Imaging;

namespace HfDiff.Torch.Evaluation;

/// <summary>
/// Per-image scores of one (dataset, model) as a CSV <c>image,&lt;metric&gt;…</c> (empty cell = not computed or failed).
/// Loaded before scoring so that a resumed run reuses every finished cell; saved atomically after each image.
/// </summary>
public sealed class ScoreTable
{
    readonly Dictionary<string, Dictionary<string, double>> _rows = new(StringComparer.Ordinal);
    readonly List<string> _order = [];

    public IReadOnlyList<string> Images => _order;

    /// <summary>Every metric column seen in any row.</summary>
    public IReadOnlyList<string> MetricNames => _rows.Values.SelectMany(r => r.Keys).Where(k => k.Length > 0).Distinct(StringComparer.OrdinalIgnoreCase).ToList();

    public bool TryGet(string image, string metric, out double value)
    {
        value = double.NaN;
        return _rows.TryGetValue(image, out var r) && r.TryGetValue(metric, out value) && !double.IsNaN(value);
    }

    public void Set(string image, string metric, double value)
    {
        if (!_rows.TryGetValue(image, out var r)) { r = new(StringComparer.OrdinalIgnoreCase); _rows[image] = r; _order.Add(image); }
        r[metric] = value;
    }

    public IEnumerable<double> Values(string metric) =>
        _order.Select(i => _rows[i].TryGetValue(metric, out var v) ? v : double.NaN).Where(v => !double.IsNaN(v));

    public static ScoreTable Load(string path)
    {
        var t = new ScoreTable();
        if (!File.Exists(path)) return t;
        var lines = File.ReadAllLines(path);
        if (lines.Length == 0) return t;
        var header = lines[0].Split(',');
        if (header[0] != "image") throw new InvalidDataException($"'{path}' is not a score table (first column must be 'image').");
        for (int l = 1; l < lines.Length; l++)
        {
            if (lines[l].Length == 0) continue;
            var f = lines[l].Split(',');
            if (f.Length != header.Length) throw new InvalidDataException($"'{path}' line {l + 1}: {f.Length} fields, header has {header.Length}.");
            for (int c = 1; c < f.Length; c++)
                t.Set(f[0], header[c], f[c].Length == 0 ? double.NaN : double.Parse(f[c], NumberStyles.Float, CultureInfo.InvariantCulture));
            if (header.Length == 1) t.Set(f[0], "", double.NaN);
        }
        return t;
    }

    /// <summary>Merges rows of several tables (shards): a later non-empty cell wins.</summary>
    public void Merge(ScoreTable other)
    {
        foreach (var img in other._order)
            foreach (var (m, v) in other._rows[img])
                if (!double.IsNaN(v) || !TryGet(img, m, out _)) Set(img, m, v);
    }

    public void Save(string path, IReadOnlyList<string> metrics)
    {
        var sb = new StringBuilder("image");
        foreach (var m in metrics) sb.Append(',').Append(m);
        sb.Append('\n');
        foreach (var img in _order)
        {
            if (img.Contains(',')) throw new InvalidDataException($"Image name '{img}' contains a comma.");
            sb.Append(img);
            foreach (var m in metrics)
                sb.Append(',').Append(TryGet(img, m, out var v) ? v.ToString("R", CultureInfo.InvariantCulture) : "");
            sb.Append('\n');
        }
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        AtomicFile.WriteAllText(path, sb.ToString());
    }
}
