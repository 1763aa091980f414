namespace HfDiff.Torch.Metrics.ClipIqa.Text;

/// <summary>
/// An immutable set of Unicode code points (or byte values) stored as sorted inclusive ranges
/// <c>[lo0, hi0, lo1, hi1, …]</c>; the generated tables in <see cref="ClipTextTables"/> are made of these.
/// </summary>
internal sealed class CodePointSet
{
    readonly int[] _ranges;
    readonly ulong[] _latin = new ulong[4];   // membership of 0…255 as a bit map: most look-ups are there

    /// <summary>Sorted inclusive ranges <c>[lo0, hi0, lo1, hi1, …]</c>.</summary>
    public ReadOnlySpan<int> Ranges => _ranges;

    public CodePointSet(int[] ranges)
    {
        if (ranges.Length % 2 != 0) throw new ArgumentException("Ranges must come in (lo, hi) pairs.", nameof(ranges));
        _ranges = ranges;
        for (int i = 0; i < ranges.Length; i += 2)
            for (int c = ranges[i]; c <= Math.Min(ranges[i + 1], 255); c++) _latin[c >> 6] |= 1UL << (c & 63);
    }

    public bool Contains(int codePoint)
    {
        if ((uint)codePoint < 256) return (_latin[codePoint >> 6] & (1UL << (codePoint & 63))) != 0;
        int lo = 0, hi = _ranges.Length / 2 - 1;
        while (lo <= hi)
        {
            int mid = (lo + hi) >> 1;
            if (codePoint < _ranges[2 * mid]) hi = mid - 1;
            else if (codePoint > _ranges[2 * mid + 1]) lo = mid + 1;
            else return true;
        }
        return false;
    }
}

/// <summary>
/// Membership of a code point in each of up to 128 sets at once, as a bit mask (two words): the code space is cut at
/// every range boundary of every set, and each elementary interval carries one mask. One binary search per code
/// point replaces a look-up per set, which is what makes the badness heuristic cheap on long prompts.
/// </summary>
internal sealed class CodePointSetFamily
{
    readonly int[] _starts;                 // start of each elementary interval, ascending; _starts[0] == 0
    readonly ulong[] _masks;                // two words per interval
    readonly ulong[] _latin = new ulong[512];

    public CodePointSetFamily(CodePointSet[] sets)
    {
        if (sets.Length > 128) throw new ArgumentException($"At most 128 sets; got {sets.Length}.", nameof(sets));
        var cuts = new SortedSet<int> { 0 };
        foreach (var set in sets)
            for (int i = 0; i < set.Ranges.Length; i += 2) { cuts.Add(set.Ranges[i]); cuts.Add(set.Ranges[i + 1] + 1); }
        _starts = [.. cuts];
        _masks = new ulong[2 * _starts.Length];
        for (int k = 0; k < _starts.Length; k++)
            for (int s = 0; s < sets.Length; s++)
                if (sets[s].Contains(_starts[k])) _masks[2 * k + (s >> 6)] |= 1UL << (s & 63);
        for (int c = 0; c < 256; c++) WriteMask(c, _latin.AsSpan(2 * c, 2));
        _latinReady = true;
    }

    /// <summary>Writes the two mask words of <paramref name="codePoint"/> to <paramref name="dest"/>.</summary>
    public void WriteMask(int codePoint, Span<ulong> dest)
    {
        if ((uint)codePoint < 256 && _latinReady)
        {
            dest[0] = _latin[2 * codePoint];
            dest[1] = _latin[2 * codePoint + 1];
            return;
        }
        int k = Array.BinarySearch(_starts, codePoint);
        if (k < 0) k = ~k - 1;
        dest[0] = _masks[2 * k];
        dest[1] = _masks[2 * k + 1];
    }

    bool _latinReady;
}

/// <summary>
/// One alternative of a generated regular expression: a fixed-length sequence of sets (indices into the
/// expression's set table), optionally anchored at the start of the text.
/// </summary>
internal readonly record struct SetSequence(bool AnchoredAtStart, int[] Sets)
{
    /// <summary>Whether the sequence matches <paramref name="units"/> at <paramref name="pos"/>.</summary>
    public bool MatchesAt(ReadOnlySpan<int> units, int pos, CodePointSet[] sets)
    {
        if (AnchoredAtStart && pos != 0) return false;
        if (pos + Sets.Length > units.Length) return false;
        for (int k = 0; k < Sets.Length; k++)
            if (!sets[Sets[k]].Contains(units[pos + k])) return false;
        return true;
    }

    /// <summary>Same as above on precomputed membership masks, two words per position (see <see cref="CodePointSetFamily"/>).</summary>
    public bool MatchesAt(ReadOnlySpan<ulong> masks, int pos)
    {
        if (AnchoredAtStart && pos != 0) return false;
        if (pos < 0 || 2 * (pos + Sets.Length) > masks.Length) return false;
        for (int k = 0; k < Sets.Length; k++)
        {
            int s = Sets[k];
            if ((masks[2 * (pos + k) + (s >> 6)] & (1UL << (s & 63))) == 0) return false;
        }
        return true;
    }

    public bool MatchesAt(ReadOnlySpan<byte> bytes, int pos, CodePointSet[] sets)
    {
        if (AnchoredAtStart && pos != 0) return false;
        if (pos + Sets.Length > bytes.Length) return false;
        for (int k = 0; k < Sets.Length; k++)
            if (!sets[Sets[k]].Contains(bytes[pos + k])) return false;
        return true;
    }
}

/// <summary>Python-style code point access to .NET strings (a lone surrogate is its own code point, as in a Python str).</summary>
internal static class CodePoints
{
    public static int At(string s, int i, out int width)
    {
        char c = s[i];
        if (char.IsHighSurrogate(c) && i + 1 < s.Length && char.IsLowSurrogate(s[i + 1]))
        {
            width = 2;
            return char.ConvertToUtf32(c, s[i + 1]);
        }
        width = 1;
        return c;
    }

    public static int[] Of(string s)
    {
        var list = new int[s.Length];
        int n = 0;
        for (int i = 0; i < s.Length;)
        {
            list[n++] = At(s, i, out int w);
            i += w;
        }
        return n == list.Length ? list : list[..n];
    }

    public static void Append(System.Text.StringBuilder sb, int codePoint)
    {
        if (codePoint < 0x10000) sb.Append((char)codePoint);
        else sb.Append(char.ConvertFromUtf32(codePoint));
    }

    public static string FromCodePoints(ReadOnlySpan<int> cps)
    {
        var sb = new System.Text.StringBuilder(cps.Length);
        foreach (var c in cps) Append(sb, c);
        return sb.ToString();
    }

    public static bool IsAscii(string s)
    {
        foreach (var c in s) if (c >= 0x80) return false;
        return true;
    }
}
