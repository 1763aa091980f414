using System.Diagnostics;
using HfDiff.Torch.Diagnostics;
using TorchSharp;
using static TorchSharp.torch;

namespace HfDiff.Torch.Pipelines;

/// <summary>
/// Images per second over a folder-like set of N same-size random LR images (what <c>hfdiff bench sr --throughput</c>
/// prints): one <see cref="SuperResolver.SuperResolve(Tensor)"/> call per image against <see cref="SuperResolver.SuperResolveBatch"/>
/// in batches of <c>batchSize</c>. The two modes alternate in every round, so load from other processes hits both alike;
/// each mode's peak RSS is taken in its own untimed warm-up pass.
/// </summary>
public static class SrThroughputBenchmark
{
    public static SrThroughputResult Run(SuperResolver resolver, int lrSize, int images, int batchSize, int rounds = 3)
    {
        ArgumentNullException.ThrowIfNull(resolver);
        if (lrSize < 1) throw new ArgumentOutOfRangeException(nameof(lrSize), lrSize, $"lrSize must be >= 1; got {lrSize}.");
        if (images < 1) throw new ArgumentOutOfRangeException(nameof(images), images, $"images must be >= 1; got {images}.");
        if (batchSize < 1) throw new ArgumentOutOfRangeException(nameof(batchSize), batchSize, $"batchSize must be >= 1; got {batchSize}.");
        if (rounds < 1) throw new ArgumentOutOfRangeException(nameof(rounds), rounds, $"rounds must be >= 1; got {rounds}.");
        using var gen = new Generator(2024);
        var lrs = Enumerable.Range(0, images).Select(_ => rand(new long[] { 1, 3, lrSize, lrSize }, generator: gen)).ToArray();
        try
        {
            void OneByOne() { foreach (var lr in lrs) resolver.SuperResolve(lr).Dispose(); }
            void Batched()
            {
                foreach (var chunk in lrs.Chunk(batchSize))
                {
                    using var batch = chunk.Length == 1 ? chunk[0].alias() : cat(chunk, 0);
                    resolver.SuperResolveBatch(batch).Dispose();
                }
            }
            double? load = ProcessMemory.LoadAverage();
            long? PeakOf(Action pass) { ProcessMemory.TryResetPeak(); pass(); return ProcessMemory.PeakRssBytes(); }
            var singlePeak = PeakOf(OneByOne);     // also the warm-up of each mode
            var batchedPeak = PeakOf(Batched);
            var single = new List<double>();
            var batched = new List<double>();
            for (int r = 0; r < rounds; r++)
            {
                single.Add(Seconds(OneByOne));
                batched.Add(Seconds(Batched));
            }
            return new SrThroughputResult(lrSize, images, batchSize, rounds, torch.get_num_threads(), load,
                SrTimingStats.Of(single.Select(s => s * 1000).ToList()), SrTimingStats.Of(batched.Select(s => s * 1000).ToList()),
                singlePeak, batchedPeak);
        }
        finally { foreach (var t in lrs) t.Dispose(); }
    }

    static double Seconds(Action a)
    {
        var sw = Stopwatch.StartNew();
        a();
        return sw.Elapsed.TotalSeconds;
    }
}

/// <summary>Result of <see cref="SrThroughputBenchmark.Run"/>: wall time of a pass over all images, per mode.</summary>
public sealed record SrThroughputResult(int LrSize, int Images, int BatchSize, int Rounds, int Threads, double? LoadAverage,
    SrTimingStats OneByOne, SrTimingStats Batched, long? OneByOnePeakRssBytes, long? BatchedPeakRssBytes)
{
    public double OneByOneImagesPerSecond => Images / (OneByOne.MedianMs / 1000.0);
    public double BatchedImagesPerSecond => Images / (Batched.MedianMs / 1000.0);
    /// <summary>Batched images/s over one-by-one images/s (medians).</summary>
    public double Speedup => BatchedImagesPerSecond / OneByOneImagesPerSecond;

    static string Mib(long? b) => b is { } v ? $"{v / 1048576.0:F0} MiB" : "n/a";

    static string I(FormattableString f) => FormattableString.Invariant(f);

    public override string ToString() =>
        I($"throughput: {Images} images {LrSize}x{LrSize}, {Rounds} round(s) (+1 warm-up), {Threads} thread(s)") +
        (LoadAverage is { } l ? I($", load {l:F2}") : "") + "\n" +
        I($"  one by one   {OneByOneImagesPerSecond:F3} images/s  (pass {OneByOne})  peak RSS {Mib(OneByOnePeakRssBytes)}\n") +
        I($"  batch of {BatchSize,-3} {BatchedImagesPerSecond:F3} images/s  (pass {Batched})  peak RSS {Mib(BatchedPeakRssBytes)}\n") +
        I($"  speed-up     {Speedup:F2}x");
}
