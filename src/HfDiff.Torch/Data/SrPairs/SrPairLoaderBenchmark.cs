using System.Diagnostics;

namespace HfDiff.Torch.Data.SrPairs;

/// <summary>Throughput of <see cref="SrPairLoader"/> alone (the consumer only disposes batches).</summary>
public sealed record SrPairLoaderBenchmarkResult(int Batches, int Pairs, TimeSpan Elapsed, double PairsPerSecond, int WarmupBatches, int TorchThreads)
{
    public override string ToString() =>
        $"{Pairs} pairs in {Batches} batches, {Elapsed.TotalSeconds:F1} s: {PairsPerSecond:F2} pairs/s ({Elapsed.TotalSeconds / Math.Max(1, Batches):F2} s/batch; {WarmupBatches} warm-up batch(es) not timed; torch threads {TorchThreads})";
}

/// <summary>Measures how many training pairs per second <see cref="SrPairLoader"/> makes on this machine (not a test).</summary>
public static class SrPairLoaderBenchmark
{
    /// <summary>
    /// Makes <paramref name="warmupBatches"/> untimed then <paramref name="batches"/> timed batches from
    /// <paramref name="folder"/> (epochs repeat as needed) and returns pairs per second. <paramref name="options"/>
    /// supplies everything else (degradation, prefetch depth); batch and GT size are overridden.
    /// </summary>
    public static SrPairLoaderBenchmarkResult Run(string folder, int batchSize = 32, int gtSize = 256, int batches = 5,
        SrPairLoaderOptions? options = null, int warmupBatches = 1)
    {
        if (batches < 1) throw new ArgumentOutOfRangeException(nameof(batches), $"batches must be >= 1; got {batches}.");
        if (warmupBatches < 0) throw new ArgumentOutOfRangeException(nameof(warmupBatches), $"warmupBatches must be >= 0; got {warmupBatches}.");
        var o = (options ?? new SrPairLoaderOptions()) with { BatchSize = batchSize, GtSize = gtSize };
        using var loader = new SrPairLoader(folder, o);
        int seen = 0, pairs = 0;
        var watch = new Stopwatch();
        foreach (var batch in loader.Batches())
        {
            using (batch)
            {
                if (seen == warmupBatches) watch.Start();
                if (seen >= warmupBatches) pairs += batch.Count;
            }
            if (++seen == warmupBatches + batches) break;
        }
        watch.Stop();
        return new SrPairLoaderBenchmarkResult(batches, pairs, watch.Elapsed, pairs / watch.Elapsed.TotalSeconds, warmupBatches, TorchSharp.torch.get_num_threads());
    }
}
