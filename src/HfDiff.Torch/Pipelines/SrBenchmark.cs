using TorchSharp;
using HfDiff.Torch.Diagnostics;
using static TorchSharp.torch;

namespace HfDiff.Torch.Pipelines;

/// <summary>
/// Times <see cref="SuperResolver.SuperResolve(Tensor, long, int?)"/> on a random square LR image (what <c>hfdiff bench sr</c> prints):
/// median/min/max of encode, UNet, decode and total over the timed runs, and the peak RSS.
/// </summary>
public static class SrBenchmark
{
    /// <summary>Benchmarks an existing resolver.</summary>
    /// <param name="lrSize">Side of the square LR input (e.g. 64 → 256 output).</param>
    /// <param name="steps">1 or T; null → the resolver's default.</param>
    /// <param name="runs">Timed runs (≥ 1).</param>
    /// <param name="warmupRuns">Untimed runs first (oneDNN builds its kernels on the first call).</param>
    public static SrBenchmarkResult Run(SuperResolver resolver, int lrSize, int? steps = null, int runs = 3, int warmupRuns = 1)
    {
        ArgumentNullException.ThrowIfNull(resolver);
        if (lrSize < 1) throw new ArgumentOutOfRangeException(nameof(lrSize), lrSize, $"lrSize must be >= 1; got {lrSize}.");
        if (runs < 1) throw new ArgumentOutOfRangeException(nameof(runs), runs, $"runs must be >= 1; got {runs}.");
        if (warmupRuns < 0) throw new ArgumentOutOfRangeException(nameof(warmupRuns), warmupRuns, $"warmupRuns must be >= 0; got {warmupRuns}.");
        int s = steps ?? resolver.Steps;
        resolver.SamplerFor(s);   // validates steps before any work

        using var gen = new Generator(2024);
        using var lr = rand(new long[] { 1, 3, lrSize, lrSize }, generator: gen);
        for (int i = 0; i < warmupRuns; i++) resolver.SuperResolve(lr, resolver.Options.Seed, s).Dispose();

        double? load = ProcessMemory.LoadAverage();
        bool reset = ProcessMemory.TryResetPeak();
        var timings = new List<SuperResolverTimings>();
        using var process = System.Diagnostics.Process.GetCurrentProcess();
        var cpu0 = process.TotalProcessorTime;
        long? faults0 = ProcessMemory.MinorPageFaults();
        for (int i = 0; i < runs; i++)
        {
            resolver.SuperResolve(lr, resolver.Options.Seed, s).Dispose();
            timings.Add(resolver.LastTimings);
        }
        process.Refresh();
        double cpuSecondsPerRun = (process.TotalProcessorTime - cpu0).TotalSeconds / runs;
        long? faultsPerRun = ProcessMemory.MinorPageFaults() is { } f1 && faults0 is { } f0 ? (f1 - f0) / runs : null;
        return new SrBenchmarkResult(
            lrSize, lrSize * resolver.Sf, s, runs, warmupRuns,
            SrTimingStats.Of(timings.Select(t => t.EncodeMs).ToList()),
            SrTimingStats.Of(timings.Select(t => t.DenoiserMs).ToList()),
            SrTimingStats.Of(timings.Select(t => t.DecodeMs).ToList()),
            SrTimingStats.Of(timings.Select(t => t.TotalMs).ToList()),
            ProcessMemory.PeakRssBytes(), reset, torch.get_num_threads(), resolver.Device.ToString(), load, cpuSecondsPerRun, faultsPerRun, HeapReuse.Enabled);
    }

    /// <summary>Builds a resolver from <paramref name="options"/> (with <paramref name="randomWeights"/>: no checkpoints read), benchmarks it and disposes it.</summary>
    public static SrBenchmarkResult Run(SuperResolverOptions options, int lrSize, int? steps = null, int runs = 3, bool randomWeights = false, int warmupRuns = 1)
    {
        ArgumentNullException.ThrowIfNull(options);
        var o = steps is null ? options : options with { Steps = steps };
        using var resolver = randomWeights ? SuperResolver.WithRandomWeights(o) : new SuperResolver(o);
        return Run(resolver, lrSize, steps, runs, warmupRuns);
    }
}
