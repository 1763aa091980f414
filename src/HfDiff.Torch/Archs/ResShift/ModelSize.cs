namespace HfDiff.Torch.Archs.ResShift;

/// <summary>
/// Refuses network settings whose weights alone would not fit in memory, before any layer is built: a config with
/// <c>model_channels: 10000000</c> or <c>n_embed: 2000000000</c> is a one-line error instead of a native allocation failure.
/// </summary>
internal static class ModelSize
{
    /// <summary>Memory the process may use (physical memory or the container's limit).</summary>
    static long AvailableBytes => GC.GetGCMemoryInfo().TotalAvailableMemoryBytes;

    /// <summary>
    /// Throws <see cref="ArgumentOutOfRangeException"/> naming <paramref name="keys"/> when float32 weights would take
    /// more than half the memory available (the other half is left for activations, the checkpoint being read and the
    /// rest of the process; the official networks need well under 1 GB).
    /// </summary>
    public static void Check(string network, double parameters, string keys)
    {
        double bytes = parameters * sizeof(float);
        long available = AvailableBytes;
        if (available > 0 && !(bytes <= available / 2.0))
            throw new ArgumentOutOfRangeException(keys, parameters,
                $"{network} settings describe about {parameters:0.##e+0} parameters ({Gb(bytes)} as float32), more than half the {Gb(available)} of memory available; check {keys}.");
    }

    static string Gb(double bytes) => bytes >= 1e12 ? $"{bytes / 1e12:0.#} TB" : $"{bytes / 1e9:0.##} GB";
}
