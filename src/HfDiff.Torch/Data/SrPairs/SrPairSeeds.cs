namespace HfDiff.Torch.Data.SrPairs;

/// <summary>
/// Derives independent seeds from a root seed and a few integers (epoch, batch or sample index, stream tag) with the
/// SplitMix64 finalizer, so that every batch and sample has its own random stream: what a batch draws never depends
/// on how many batches were produced before it, on prefetch timing or on which thread made it.
/// </summary>
public static class SrPairSeeds
{
    /// <summary>Stream tags keep the draws of different purposes apart.</summary>
    internal const long ShuffleStream = 1, SampleStream = 2, BatchStream = 3;

    /// <summary>A seed that depends on <paramref name="seed"/> and every part, in order.</summary>
    public static long Derive(long seed, params long[] parts)
    {
        ulong h = Mix(unchecked((ulong)seed) ^ 0x6A09E667F3BCC909UL);
        foreach (var p in parts) h = Mix(h ^ Mix(unchecked((ulong)p) + 0x9E3779B97F4A7C15UL));
        return unchecked((long)h);
    }

    /// <summary>
    /// A seed for one file of a benchmark folder from its path relative to the folder (FNV-1a over the UTF-8 bytes,
    /// '\\' read as '/'), so a file keeps its degradation when other files are added or the folder is listed in another
    /// order.
    /// </summary>
    public static long ForFile(long seed, string relativePath)
    {
        ArgumentNullException.ThrowIfNull(relativePath);
        ulong h = 0xCBF29CE484222325UL;
        foreach (var b in System.Text.Encoding.UTF8.GetBytes(relativePath.Replace('\\', '/')))
            h = unchecked((h ^ b) * 0x100000001B3UL);
        return Derive(seed, unchecked((long)h));
    }

    static ulong Mix(ulong z)
    {
        z = unchecked((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL);
        z = unchecked((z ^ (z >> 27)) * 0x94D049BB133111EBUL);
        return z ^ (z >> 31);
    }
}
