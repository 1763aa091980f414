namespace HfDiff.Torch.Degradations;

/// <summary>
/// Seeded scalar random generator for the degradation draws (xoshiro256** seeded through SplitMix64). Replaces the
/// global <c>random</c> / <c>np.random</c> / <c>torch.rand</c> state of the reference: the same seed gives the same
/// stream on every platform and .NET version (unlike <see cref="System.Random"/>, whose seeded algorithm is not a
/// documented contract and which takes only an <see cref="int"/> seed).
/// </summary>
public sealed class DegradationRandom
{
    ulong _s0, _s1, _s2, _s3;

    public DegradationRandom(long seed)
    {
        ulong x = unchecked((ulong)seed);
        _s0 = SplitMix(ref x); _s1 = SplitMix(ref x); _s2 = SplitMix(ref x); _s3 = SplitMix(ref x);
    }

    static ulong SplitMix(ref ulong x)
    {
        ulong z = unchecked(x += 0x9E3779B97F4A7C15UL);
        z = unchecked((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL);
        z = unchecked((z ^ (z >> 27)) * 0x94D049BB133111EBUL);
        return z ^ (z >> 31);
    }

    /// <summary>Next raw 64-bit value.</summary>
    public ulong NextUInt64()
    {
        ulong result = unchecked(RotL(_s1 * 5, 7) * 9);
        ulong t = _s1 << 17;
        _s2 ^= _s0; _s3 ^= _s1; _s1 ^= _s2; _s0 ^= _s3;
        _s2 ^= t;
        _s3 = RotL(_s3, 45);
        return result;
    }

    static ulong RotL(ulong x, int k) => (x << k) | (x >> (64 - k));

    /// <summary>A non-negative 63-bit value (e.g. a seed for a torch generator).</summary>
    public long NextInt64() => (long)(NextUInt64() >> 1);

    /// <summary>Uniform in [0, 1) with 53 random bits (like Python's <c>random.random()</c>).</summary>
    public double NextDouble() => (NextUInt64() >> 11) * (1.0 / (1UL << 53));

    /// <summary><c>np.random.uniform(low, high)</c>: <c>low + (high - low) * u</c>.</summary>
    public double Uniform(double low, double high) => low + (high - low) * NextDouble();

    /// <summary>Uniform integer index in [0, count) (like <c>random.choice</c> on a list of that length).</summary>
    public int NextIndex(int count)
    {
        if (count <= 0) throw new ArgumentOutOfRangeException(nameof(count), $"count must be >= 1; got {count}.");
        // Rejection sampling keeps the choice exactly uniform.
        ulong bound = (ulong)count, limit = ulong.MaxValue - ulong.MaxValue % bound;
        ulong r;
        do r = NextUInt64(); while (r >= limit);
        return (int)(r % bound);
    }

    /// <summary>Uniform choice from a list (<c>random.choice</c>).</summary>
    public T Choice<T>(IReadOnlyList<T> items) => items[NextIndex(items.Count)];

    /// <summary>
    /// Weighted choice (<c>random.choices(items, weights)[0]</c>): weights need not sum to one; a uniform draw times the
    /// total is located in the cumulative weights (bisect-right).
    /// </summary>
    public int WeightedIndex(IReadOnlyList<double> weights)
    {
        double total = 0;
        foreach (var w in weights)
        {
            if (!(w >= 0) || double.IsInfinity(w)) throw new ArgumentOutOfRangeException(nameof(weights), $"weights must be finite and >= 0; got {w}.");
            total += w;
        }
        if (!(total > 0)) throw new ArgumentOutOfRangeException(nameof(weights), "weights must have a positive sum.");
        double u = NextDouble() * total, cum = 0;
        for (int i = 0; i < weights.Count; i++)
        {
            cum += weights[i];
            if (u < cum) return i;
        }
        // u*total can round up to the total; the reference (bisect on cumulative sums) then picks the last entry.
        for (int i = weights.Count - 1; i >= 0; i--) if (weights[i] > 0) return i;
        return weights.Count - 1;
    }
}
