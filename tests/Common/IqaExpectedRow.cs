using System.Globalization;
using System.Text;

namespace HfDiff.Tests.Common;

/// <summary>One row of the iqa fixture's expected.csv: <c>metric,image,value,details</c> (details = <c>k=v;k=v</c>).</summary>
public sealed record IqaExpectedRow(string Metric, string Image, double Value, IReadOnlyDictionary<string, string> Details)
{
    /// <summary>The rows of <paramref name="metric"/>; a fixture without any is a failure.</summary>
    public static IReadOnlyList<IqaExpectedRow> Read(string fixtureDir, string metric)
    {
        var rows = new List<IqaExpectedRow>();
        foreach (var line in File.ReadLines(Path.Combine(fixtureDir, "expected.csv")).Skip(1))
        {
            if (line.Length == 0) continue;
            var f = SplitCsv(line);
            if (f.Count != 4) Assert.Fail($"expected.csv: malformed line '{line}'");
            if (f[0] != metric) continue;
            var details = f[3].Split(';', StringSplitOptions.RemoveEmptyEntries)
                              .Select(kv => kv.Split('=', 2))
                              .ToDictionary(kv => kv[0], kv => kv.Length > 1 ? kv[1] : "", StringComparer.Ordinal);
            rows.Add(new IqaExpectedRow(f[0], f[1], double.Parse(f[2], CultureInfo.InvariantCulture), details));
        }
        if (rows.Count == 0) Assert.Fail($"expected.csv has no rows for metric '{metric}'");
        return rows;
    }

    static List<string> SplitCsv(string line)
    {
        var fields = new List<string>();
        var sb = new StringBuilder();
        bool quoted = false;
        for (int i = 0; i < line.Length; i++)
        {
            char c = line[i];
            if (quoted)
            {
                if (c == '"' && i + 1 < line.Length && line[i + 1] == '"') { sb.Append('"'); i++; }
                else if (c == '"') quoted = false;
                else sb.Append(c);
            }
            else if (c == '"') quoted = true;
            else if (c == ',') { fields.Add(sb.ToString()); sb.Clear(); }
            else sb.Append(c);
        }
        fields.Add(sb.ToString());
        return fields;
    }
}
