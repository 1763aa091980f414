namespace HfDiff.Torch.Data.Classification;

/// <summary>Batching, shuffling and prefetching of <see cref="ClassificationBatchLoader"/>.</summary>
public sealed record ClassificationLoaderOptions
{
    public int BatchSize { get; init; } = 32;
    /// <summary>Reshuffle the sample order every epoch (training); false keeps folder order (evaluation).</summary>
    public bool Shuffle { get; init; } = true;
    /// <summary>Drop the last incomplete batch of an epoch.</summary>
    public bool DropLast { get; init; }
    /// <summary>Seed of the epoch shuffles and of every sample's augmentation (see <see cref="ClassificationBatchLoader"/>).</summary>
    public int Seed { get; init; }
    /// <summary>
    /// Batches decoded ahead of the consumer on a background task (bounded queue capacity); 0 (default) decodes when the
    /// consumer asks, on its thread (with <see cref="Workers"/> &gt; 1 also on pool threads). Results do not depend on it; threads other than the
    /// consumer's risk TorchSharp's Scalar race (docs/TORCHSHARP-SCALAR-RACE.md).
    /// </summary>
    public int PrefetchBatches { get; init; }
    /// <summary>Images of one batch decoded in parallel (default 1; more threads: see <see cref="PrefetchBatches"/>). Results do not depend on it.</summary>
    public int Workers { get; init; } = 1;

    public void Validate()
    {
        if (BatchSize < 1) throw new ArgumentOutOfRangeException(nameof(BatchSize), BatchSize, $"BatchSize must be >= 1; got {BatchSize}.");
        if (PrefetchBatches < 0) throw new ArgumentOutOfRangeException(nameof(PrefetchBatches), PrefetchBatches, $"PrefetchBatches must be >= 0; got {PrefetchBatches}.");
        if (Workers < 1) throw new ArgumentOutOfRangeException(nameof(Workers), Workers, $"Workers must be >= 1; got {Workers}.");
    }
}
