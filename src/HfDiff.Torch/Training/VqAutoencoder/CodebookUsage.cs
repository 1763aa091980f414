using static TorchSharp.torch;

namespace HfDiff.Torch.Training.VqAutoencoder;

/// <summary>How a batch used the codebook: per-code counts, codes used and the perplexity exp(−Σ p log p) of the code
/// distribution (1 = one code for every position; n_e = all codes equally often).</summary>
public sealed record CodebookUsage(long[] Counts, int CodesUsed, double Perplexity)
{
    /// <summary>Counts the indices (any shape, int64, values in [0, <paramref name="numCodes"/>)).</summary>
    public static CodebookUsage FromIndices(IEnumerable<Tensor> indices, int numCodes)
    {
        ArgumentNullException.ThrowIfNull(indices);
        if (numCodes < 1) throw new ArgumentOutOfRangeException(nameof(numCodes), numCodes, $"numCodes must be >= 1; got {numCodes}.");
        var counts = new long[numCodes];
        foreach (var t in indices)
        {
            using var c = t.detach().reshape(-1).cpu().to_type(ScalarType.Int64).bincount(null, numCodes);
            if (c.shape[0] != numCodes) throw new ArgumentException($"indices hold codes >= {numCodes}.", nameof(indices));
            var data = c.data<long>();
            for (int i = 0; i < numCodes; i++) counts[i] += data[i];
        }
        return FromCounts(counts);
    }

    /// <summary>Usage of a histogram of code counts.</summary>
    public static CodebookUsage FromCounts(long[] counts)
    {
        ArgumentNullException.ThrowIfNull(counts);
        long total = counts.Sum();
        double entropy = 0;
        int used = 0;
        foreach (var n in counts)
        {
            if (n <= 0) continue;
            used++;
            double p = (double)n / total;
            entropy -= p * Math.Log(p);
        }
        return new CodebookUsage(counts, used, total == 0 ? 0 : Math.Exp(entropy));
    }
}
