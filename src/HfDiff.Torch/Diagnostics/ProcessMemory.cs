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

    /// <summary>
    /// Minor page faults of this process so far (<c>minflt</c>, field 10 of <c>/proc/self/stat</c>), or null. Each is a
    /// page the kernel mapped and zeroed on first touch: many per run mean memory is handed back and taken again.
    /// </summary>
    public static long? MinorPageFaults()
    {
        try
        {
            if (!File.Exists("/proc/self/stat")) return null;
            var stat = File.ReadAllText("/proc/self/stat");
            // Field 2 (the command) is parenthesised and may hold spaces; fields 3.. follow the last ')'.
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            return long.Parse(fields[7], System.Globalization.CultureInfo.InvariantCulture);
        }
        catch (Exception e) when (e is IOException or FormatException or UnauthorizedAccessException or IndexOutOfRangeException or ArgumentOutOfRangeException) { return null; }
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
