namespace HfDiff.Torch.Pipelines;

/// <summary>Median / min / max of one stage over the timed runs (milliseconds).</summary>
public sealed record SrTimingStats(double MedianMs, double MinMs, double MaxMs)
{
    public static SrTimingStats Of(IReadOnlyList<double> ms)
    {
        if (ms.Count == 0) throw new ArgumentException("No timings.", nameof(ms));
        var s = ms.OrderBy(v => v).ToArray();
        double median = s.Length % 2 == 1 ? s[s.Length / 2] : 0.5 * (s[s.Length / 2 - 1] + s[s.Length / 2]);
        return new SrTimingStats(median, s[0], s[^1]);
    }

    public override string ToString() => $"median {MedianMs:F0} ms (min {MinMs:F0}, max {MaxMs:F0})";
}

/// <summary>Result of <see cref="SrBenchmark.Run(SuperResolver, int, int?, int, int)"/>.</summary>
/// <param name="LrSize">Side of the square LR input.</param>
/// <param name="SrSize">Side of the output (sf × LrSize).</param>
/// <param name="Steps">Sampling steps per image.</param>
/// <param name="Runs">Timed runs (after <paramref name="WarmupRuns"/> untimed ones).</param>
/// <param name="Encode">VQGAN encoder.</param>
/// <param name="Denoiser">All UNet calls of a run.</param>
/// <param name="Decode">VQGAN quantize + decoder.</param>
/// <param name="Total">Whole <see cref="SuperResolver.SuperResolve(TorchSharp.torch.Tensor)"/> call.</param>
/// <param name="PeakRssBytes">Peak resident set size (Linux <c>VmHWM</c>); null where /proc is unavailable.</param>
/// <param name="PeakRssSinceReset">True when the peak was reset before the benchmark (so it covers only the runs, plus
/// the weights already resident); false when it is the process-lifetime peak.</param>
/// <param name="Threads">torch.get_num_threads() during the runs.</param>
/// <param name="Device">Torch device.</param>
/// <param name="LoadAverage">1-minute load average before the runs (Linux), null elsewhere; other processes inflate timings.</param>
/// <param name="CpuSecondsPerRun">Process CPU time (all threads) per timed run: less sensitive to other processes than wall time
/// (≈ threads × wall on an idle machine).</param>
/// <param name="PageFaultsPerRun">Minor page faults per timed run (Linux), null elsewhere: pages the kernel had to map and
/// zero again (see <see cref="HeapReuse"/>).</param>
/// <param name="HeapReuseEnabled">Whether <see cref="HeapReuse"/> was on during the runs.</param>
public sealed record SrBenchmarkResult(
    int LrSize, int SrSize, int Steps, int Runs, int WarmupRuns,
    SrTimingStats Encode, SrTimingStats Denoiser, SrTimingStats Decode, SrTimingStats Total,
    long? PeakRssBytes, bool PeakRssSinceReset, int Threads, string Device, double? LoadAverage, double CpuSecondsPerRun,
    long? PageFaultsPerRun = null, bool HeapReuseEnabled = false)
{
    /// <summary>Achieved rate for a known model cost (e.g. 1.12e12 FLOP for the official SinSR one-step 64→256), from the median total.</summary>
    public double GflopPerSecond(double flop) => flop / (Total.MedianMs / 1000.0) / 1e9;

    public override string ToString() =>
        $"SR {LrSize}->{SrSize}, {Steps} step(s), {Runs} run(s) (+{WarmupRuns} warm-up), {Threads} thread(s) on {Device}" +
        (LoadAverage is { } l ? $", load {l:F2}" : "") + "\n" +
        $"  encode   {Encode}\n  unet     {Denoiser}\n  decode   {Decode}\n  total    {Total}\n  cpu      {CpuSecondsPerRun:F1} s per run\n" +
        (PageFaultsPerRun is { } pf ? $"  faults   {pf} minor page faults per run (heap reuse {(HeapReuseEnabled ? "on" : "off")})\n" : "") +
        $"  peak RSS {(PeakRssBytes is { } p ? $"{p / 1048576.0:F0} MiB" : "n/a")}{(PeakRssSinceReset ? "" : " (process lifetime)")}";
}
