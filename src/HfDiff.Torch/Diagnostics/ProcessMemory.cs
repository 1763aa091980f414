namespace HfDiff.Torch.Diagnostics;

/// <summary>Peak resident memory of this process from Linux <c>/proc/self/status</c> (null elsewhere).</summary>
public static class ProcessMemory
{
    /// <summary><c>VmHWM</c> (peak RSS) in bytes, or null when /proc is not available.</summary>
    public static long? PeakRssBytes() => ReadStatusKb("VmHWM:") is { } kb ? kb * 1024 : null;

    /// <summary><c>VmRSS</c> (current RSS) in bytes, or null.</summary>
    public static long? CurrentRssBytes() => ReadStatusKb("VmRSS:") is { } kb ? kb * 1024 : null;

    /// <summary>
    /// Resets the peak to the current RSS (writes 5 to <c>/proc/self/clear_refs</c>, Linux ≥ 4.0). Returns false when not
    /// possible, in which case <see cref="PeakRssBytes"/> keeps reporting the process-lifetime peak.
    /// </summary>
    public static bool TryResetPeak()
    {
        try
        {
            if (!File.Exists("/proc/self/clear_refs")) return false;
            File.WriteAllText("/proc/self/clear_refs", "5");
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return false; }
    }

    /// <summary>1-minute load average from <c>/proc/loadavg</c>, or null.</summary>
    public static double? LoadAverage()
    {
        try
        {
            if (!File.Exists("/proc/loadavg")) return null;
            var first = File.ReadAllText("/proc/loadavg").Split(' ', StringSplitOptions.RemoveEmptyEntries)[0];
            return double.Parse(first, System.Globalization.CultureInfo.InvariantCulture);
        }
        catch (Exception e) when (e is IOException or FormatException or UnauthorizedAccessException) { return null; }
    }

    static long? ReadStatusKb(string key)
    {
        try
        {
            if (!File.Exists("/proc/self/status")) return null;
            foreach (var line in File.ReadLines("/proc/self/status"))
                if (line.StartsWith(key, StringComparison.Ordinal))
                    return long.Parse(line[key.Length..].Trim().Split(' ')[0], System.Globalization.CultureInfo.InvariantCulture);
        }
        catch (Exception e) when (e is IOException or FormatException or UnauthorizedAccessException) { }
        return null;
    }
}
