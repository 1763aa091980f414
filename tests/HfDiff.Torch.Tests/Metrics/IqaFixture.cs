using System.Globalization;
using HfDiff.Tests.Common;
using HfDiff.Torch.Imaging;
using static TorchSharp.torch;

namespace HfDiff.Torch.Tests.Metrics;

/// <summary>One row of the iqa fixture's expected.csv: <c>metric,image,value,details</c>.</summary>
/// <param name="Tag">Full metric tag, e.g. <c>ssim[y=0,cb=0,ds=1]</c>.</param>
/// <param name="Metric">Tag without the bracketed settings, e.g. <c>ssim</c>.</param>
/// <param name="Settings">Bracketed settings as integers (<c>y</c>, <c>cb</c>, <c>ds</c>).</param>
internal sealed record IqaRow(string Tag, string Metric, IReadOnlyDictionary<string, int> Settings, string Image, double Value,
                              IReadOnlyDictionary<string, string> Details)
{
    public int Setting(string key, int fallback = 0) => Settings.TryGetValue(key, out var v) ? v : fallback;
    public override string ToString() => $"{Tag} {Image}";
}

/// <summary>Access to the shared iqa fixture (expected.csv, images, io.safetensors, NIQE parameters).</summary>
internal static class IqaFixture
{
    public static string Dir => TestPaths.Fixture("iqa");

    public static Tensor Image(string fileName) => ImageIO.ReadTensor(Path.Combine(Dir, "images", fileName));

    public static IReadOnlyList<IqaRow> Rows(string metric)
    {
        var rows = ReadAll().Where(r => r.Metric == metric).ToList();
        Assert.IsTrue(rows.Count > 0, $"expected.csv has no '{metric}' rows.");
        return rows;
    }

    public static IReadOnlyList<IqaRow> ReadAll()
    {
        var lines = File.ReadAllLines(Path.Combine(Dir, "expected.csv"));
        var rows = new List<IqaRow>();
        foreach (var line in lines.Skip(1))
        {
            if (string.IsNullOrWhiteSpace(line)) continue;
            var f = SplitCsv(line);
            Assert.AreEqual(4, f.Count, $"expected.csv line '{line}'");
            string tag = f[0];
            int open = tag.IndexOf('[');
            string metric = open < 0 ? tag : tag[..open];
            var settings = new Dictionary<string, int>();
            if (open >= 0)
                foreach (var kv in tag[(open + 1)..tag.IndexOf(']')].Split(',', StringSplitOptions.RemoveEmptyEntries))
                {
                    var p = kv.Split('=');
                    settings[p[0].Trim()] = int.Parse(p[1], CultureInfo.InvariantCulture);
                }
            var details = f[3].Split(';', StringSplitOptions.RemoveEmptyEntries)
                              .Select(s => s.Split('=', 2)).ToDictionary(p => p[0], p => p.Length > 1 ? p[1] : "");
            rows.Add(new IqaRow(tag, metric, settings, f[1], double.Parse(f[2], CultureInfo.InvariantCulture), details));
        }
        return rows;
    }

    static List<string> SplitCsv(string line)
    {
        var fields = new List<string>();
        var cur = new System.Text.StringBuilder();
        bool quoted = false;
        for (int i = 0; i < line.Length; i++)
        {
            char c = line[i];
            if (quoted)
            {
                if (c == '"' && i + 1 < line.Length && line[i + 1] == '"') { cur.Append('"'); i++; }
                else if (c == '"') quoted = false;
                else cur.Append(c);
            }
            else if (c == '"') quoted = true;
            else if (c == ',') { fields.Add(cur.ToString()); cur.Clear(); }
            else cur.Append(c);
        }
        fields.Add(cur.ToString());
        return fields;
    }

    /// <summary>The fixture's pristine NIQE model (BasicSR values, the same as pyiqa's .mat).</summary>
    public static (double[] Mu, double[] Cov) NiqeParameterArrays()
    {
        using var t = new FixtureTensors(Path.Combine(Dir, "niqe_pris_params.safetensors"));
        var mu = t["mu_pris_param"].to_type(ScalarType.Float64).data<double>().ToArray();
        var cov = t["cov_pris_param"].to_type(ScalarType.Float64).contiguous().data<double>().ToArray();
        return (mu, cov);
    }

    public static double[] ToDoubles(Tensor t) => t.to_type(ScalarType.Float64).contiguous().data<double>().ToArray();

    public static double MaxAbs(ReadOnlySpan<double> a, ReadOnlySpan<double> e)
    {
        Assert.AreEqual(e.Length, a.Length, "length");
        double m = 0;
        for (int i = 0; i < a.Length; i++) m = Math.Max(m, double.IsNaN(a[i]) != double.IsNaN(e[i]) ? double.PositiveInfinity : Math.Abs(a[i] - e[i]));
        return m;
    }
}
