using System.Diagnostics;
using System.Globalization;

namespace HfDiff.Cli.Commands;

/// <summary>Warm-up once, then time N runs; reports median/min/max milliseconds and the process's peak memory.</summary>
internal static class BenchTimer
{
    public sealed record Stats(double Median, double Min, double Max)
    {
        public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"median {Median,9:F2} ms   min {Min,9:F2}   max {Max,9:F2}");
    }

    public static Stats Time(int runs, Action action)
    {
        action(); // warm-up: first-call allocations, lazy init, JIT
        var ms = new double[runs];
        for (int i = 0; i < runs; i++)
        {
            var sw = Stopwatch.StartNew();
            action();
            ms[i] = sw.Elapsed.TotalMilliseconds;
        }
        return Summarise(ms);
    }

    public static Stats Summarise(IReadOnlyList<double> ms)
    {
        var s = ms.OrderBy(x => x).ToArray();
        double median = s.Length % 2 == 1 ? s[s.Length / 2] : 0.5 * (s[s.Length / 2 - 1] + s[s.Length / 2]);
        return new Stats(median, s[0], s[^1]);
    }

    /// <summary>Peak resident set size of this process (Linux VmHWM), else the managed peak working set.</summary>
    public static long PeakRssBytes()
    {
        try
        {
            foreach (var line in File.ReadLines("/proc/self/status"))
                if (line.StartsWith("VmHWM:", StringComparison.Ordinal))
                    return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) * 1024;
        }
        catch (IOException) { }
        return Process.GetCurrentProcess().PeakWorkingSet64;
    }
}
