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
    /// <summary>Batches decoded ahead of the consumer (bounded queue capacity).</summary>
    public int PrefetchBatches { get; init; } = 4;
    /// <summary>Images of one batch decoded in parallel. Results do not depend on it.</summary>
    public int Workers { get; init; } = Math.Max(1, Environment.ProcessorCount / 2);

    public void Validate()
    {
        if (BatchSize < 1) throw new ArgumentOutOfRangeException(nameof(BatchSize), BatchSize, $"BatchSize must be >= 1; got {BatchSize}.");
        if (PrefetchBatches < 1) throw new ArgumentOutOfRangeException(nameof(PrefetchBatches), PrefetchBatches, $"PrefetchBatches must be >= 1; got {PrefetchBatches}.");
        if (Workers < 1) throw new ArgumentOutOfRangeException(nameof(Workers), Workers, $"Workers must be >= 1; got {Workers}.");
    }
}
