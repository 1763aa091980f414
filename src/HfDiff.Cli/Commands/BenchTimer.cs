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
        var s = HfDiff.Torch.Pipelines.SrTimingStats.Of(ms);
        return new Stats(s.MedianMs, s.MinMs, s.MaxMs);
    }

    /// <summary>Peak resident set size of this process (Linux VmHWM), else the managed peak working set.</summary>
    public static long PeakRssBytes() => HfDiff.Torch.Diagnostics.ProcessMemory.PeakRssBytes() ?? Process.GetCurrentProcess().PeakWorkingSet64;
}
