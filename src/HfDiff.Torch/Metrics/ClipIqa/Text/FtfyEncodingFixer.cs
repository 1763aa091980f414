// Port of ftfy 6.3.1's mojibake repair (rspeer/python-ftfy, Apache License 2.0): ftfy/__init__.py
// fix_encoding / _fix_encoding_one_step_and_explain, ftfy/fixes.py restore_byte_a0, replace_lossy_sequences,
// decode_inconsistent_utf8, fix_c1_controls, ftfy/badness.py is_bad, ftfy/bad_codecs (sloppy code pages,
// utf-8-variants). The regular expressions and code pages come from ClipTextTables (generated from ftfy).
using System.Text;


namespace HfDiff.Torch.Metrics.ClipIqa.Text;

/// <summary><c>ftfy.fix_encoding(text)</c>: detects UTF-8 decoded in a single-byte code page and decodes it again.</summary>
internal static class FtfyEncodingFixer
{
    sealed record Charmap(string Name, string Table, Dictionary<int, byte> Encoder, bool Sloppy);

    static readonly Charmap[] Charmaps = ClipTextTables.CharmapEncodings.Select(e =>
    {
        var enc = new Dictionary<int, byte>(129);
        for (int b = 0x80; b < 0x100; b++) enc[e.Table[b]] = (byte)b;
        enc[e.Table[0x1A]] = 0x1A;
        return new Charmap(e.Name, e.Table, enc, e.Name.StartsWith("sloppy", StringComparison.Ordinal));
    }).ToArray();
    static readonly string SloppyWindows1252 = Charmaps.Single(c => c.Name == "sloppy-windows-1252").Table;

    /// <summary>fix_encoding: repeat one repair step until the text stops changing.</summary>
    public static string FixEncoding(string text)
    {
        while (true)
        {
            var prev = text;
            text = FixEncodingOneStep(text);
            if (text == prev) return text;
        }
    }

    static string FixEncodingOneStep(string text)
    {
        if (text.Length == 0 || CodePoints.IsAscii(text)) return text;
        int[] cps = CodePoints.Of(text);
        if (!IsBad(cps)) return text;

        var possible = new List<string>();
        foreach (var cm in Charmaps)
        {
            if (!TryEncode(cps, cm, out var bytes)) continue;
            possible.Add(cm.Name);
            // PORT-QUIRK(ftfy, __init__.py): restore_byte_a0 is skipped for macroman (en dash + space false positives).
            if (cm.Name != "macroman" && FindFirst(bytes, ClipTextTables.AlteredUtf8, ClipTextTables.AlteredUtf8Sets) >= 0)
                bytes = RestoreByteA0(bytes);
            if (cm.Sloppy) bytes = ReplaceLossySequences(bytes);
            bool variants = Array.IndexOf(bytes, (byte)0xED) >= 0 || Array.IndexOf(bytes, (byte)0xC0) >= 0;
            var fixedText = variants ? DecodeUtf8Variants(bytes) : DecodeUtf8Strict(bytes, 0, bytes.Length);
            if (fixedText is not null) return fixedText;
        }

        if (HasUtf8Mojibake(cps))
        {
            var fixedText = DecodeInconsistentUtf8(text, cps);
            if (fixedText != text) return fixedText;
        }

        // PORT-QUIRK(ftfy, __init__.py): the check `"windows-1252" in possible_1byte_encodings` can never be true
        // (the list holds "sloppy-windows-1252"), so Latin-1-encodable text is always tried as strict windows-1252.
        if (possible.Contains("latin-1"))
        {
            var sb = new StringBuilder(text.Length);
            bool ok = true;
            foreach (var c in cps)
            {
                char d = ClipTextTables.Windows1252Strict[c];
                if (d == '\uFFFF') { ok = false; break; }
                sb.Append(d);
            }
            if (ok)
            {
                var fixedText = sb.ToString();
                if (fixedText != text) return fixedText;
            }
        }

        if (text.AsSpan().IndexOfAnyInRange('\u0080', '\u009F') >= 0) return FixC1Controls(text);
        return text;
    }

    /// <summary>fixes.fix_c1_controls: each U+0080–U+009F as its (sloppy) windows-1252 character.</summary>
    public static string FixC1Controls(string text)
    {
        if (text.AsSpan().IndexOfAnyInRange('\u0080', '\u009F') < 0) return text;
        var chars = text.ToCharArray();
        for (int i = 0; i < chars.Length; i++)
            if (chars[i] is >= '\u0080' and <= '\u009F') chars[i] = SloppyWindows1252[chars[i]];
        return new string(chars);
    }

    static readonly CodePointSetFamily BadnessFamily = new(ClipTextTables.BadnessSets);
    // For each alternative, the position of one of its sets that holds no ASCII character: every BADNESS_RE
    // alternative has one, so a match needs a non-ASCII character there and only those positions are tried.
    static readonly int[] BadnessAnchor = ClipTextTables.Badness.Select(alt =>
    {
        for (int k = 0; k < alt.Sets.Length; k++)
        {
            var set = ClipTextTables.BadnessSets[alt.Sets[k]];
            if (set.Ranges[0] >= 0x80) return k;
        }
        throw new InvalidOperationException("A BADNESS_RE alternative without a non-ASCII set; the anchoring shortcut would miss it.");
    }).ToArray();

    /// <summary>badness.is_bad: does any alternative of BADNESS_RE match anywhere?</summary>
    internal static bool IsBad(ReadOnlySpan<int> cps)
    {
        var masks = cps.Length <= 256 ? stackalloc ulong[2 * cps.Length] : new ulong[2 * cps.Length];
        for (int i = 0; i < cps.Length; i++) BadnessFamily.WriteMask(cps[i], masks.Slice(2 * i, 2));
        var alts = ClipTextTables.Badness;
        for (int q = 0; q < cps.Length; q++)
        {
            if (cps[q] < 0x80) continue;
            ulong lo = masks[2 * q], hi = masks[2 * q + 1];
            if ((lo | hi) == 0) continue;
            for (int a = 0; a < alts.Length; a++)
            {
                int k = BadnessAnchor[a], s = alts[a].Sets[k];
                if (((s < 64 ? lo : hi) & (1UL << (s & 63))) == 0) continue;
                if (alts[a].MatchesAt(masks, q - k)) return true;
            }
        }
        return false;
    }

    // chardata.possible_encoding + str.encode: ASCII except U+001A, plus the characters of bytes 0x80–0xFF and 0x1A.
    static bool TryEncode(int[] cps, Charmap cm, out byte[] bytes)
    {
        bytes = new byte[cps.Length];
        for (int i = 0; i < cps.Length; i++)
        {
            int c = cps[i];
            if (c < 0x80 && c != 0x1A) bytes[i] = (byte)c;
            else if (cm.Encoder.TryGetValue(c, out var b)) bytes[i] = b;
            else return false;
        }
        return true;
    }

    /// <summary>Position of the leftmost match of a generated byte-pattern alternation, or -1.</summary>
    static int FindFirst(byte[] bytes, SetSequence[] alts, CodePointSet[] sets) => MatchAt(bytes, 0, alts, sets, out _);

    static int MatchAt(byte[] bytes, int from, SetSequence[] alts, CodePointSet[] sets, out int length)
    {
        for (int p = from; p < bytes.Length; p++)
            foreach (var alt in alts)
                if (alt.MatchesAt(bytes, p, sets)) { length = alt.Sets.Length; return p; }
        length = 0;
        return -1;
    }

    /// <summary>Python re.sub over a generated byte-pattern alternation (leftmost, first alternative, non-overlapping).</summary>
    static byte[] Substitute(byte[] bytes, SetSequence[] alts, CodePointSet[] sets, Action<List<byte>, byte[], int, int> replace)
    {
        var outBytes = new List<byte>(bytes.Length + 8);
        int pos = 0;
        while (true)
        {
            int m = MatchAt(bytes, pos, alts, sets, out int len);
            if (m < 0) break;
            for (int k = pos; k < m; k++) outBytes.Add(bytes[k]);
            replace(outBytes, bytes, m, len);
            pos = m + len;
        }
        for (int k = pos; k < bytes.Length; k++) outBytes.Add(bytes[k]);
        return [.. outBytes];
    }

    /// <summary>fixes.restore_byte_a0: put back 0xA0 bytes that became spaces inside UTF-8 sequences.</summary>
    static byte[] RestoreByteA0(byte[] bytes)
    {
        // A_GRAVE_WORD_RE = b"\xc3 (?! |quele|quela|quilo|s )" → b"\xc3\xa0 " (keeps "à" a word of its own).
        var list = new List<byte>(bytes.Length + 4);
        for (int i = 0; i < bytes.Length; i++)
        {
            if (bytes[i] == 0xC3 && i + 1 < bytes.Length && bytes[i + 1] == 0x20 && !FollowedByAGraveException(bytes, i + 2))
            {
                list.Add(0xC3); list.Add(0xA0); list.Add(0x20);
                i++;
                continue;
            }
            list.Add(bytes[i]);
        }
        return Substitute([.. list], ClipTextTables.AlteredUtf8, ClipTextTables.AlteredUtf8Sets, (o, b, m, len) =>
        {
            for (int k = m; k < m + len; k++) o.Add(b[k] == 0x20 ? (byte)0xA0 : b[k]);
        });
    }

    static bool FollowedByAGraveException(byte[] b, int at)
    {
        static bool Has(byte[] b, int at, string s)
        {
            if (at + s.Length > b.Length) return false;
            for (int k = 0; k < s.Length; k++) if (b[at + k] != s[k]) return false;
            return true;
        }
        return Has(b, at, " ") || Has(b, at, "quele") || Has(b, at, "quela") || Has(b, at, "quilo") || Has(b, at, "s ");
    }

    /// <summary>fixes.replace_lossy_sequences: UTF-8 sequences with lost bytes (0x1A, sometimes '?') → U+FFFD's UTF-8.</summary>
    static byte[] ReplaceLossySequences(byte[] bytes) =>
        Substitute(bytes, ClipTextTables.LossyUtf8, ClipTextTables.LossyUtf8Sets, (o, _, _, _) => { o.Add(0xEF); o.Add(0xBF); o.Add(0xBD); });

    // ---- decode_inconsistent_utf8 --------------------------------------------------------------------------

    /// <summary>
    /// UTF8_DETECTOR_RE = <c>(?&lt;![continuation_strict])([first_of_2][cont]|[first_of_3][cont]{2}|[first_of_4][cont]{3})+</c>:
    /// the end of the match starting at <paramref name="p"/>, or -1. The three first-character sets are disjoint
    /// (asserted by the generator), so the greedy loop needs no backtracking.
    /// </summary>
    static int DetectorMatchAt(int[] cps, int p)
    {
        if (p > 0 && ClipTextTables.Utf8ContinuationStrict.Contains(cps[p - 1])) return -1;
        int end = p;
        while (end < cps.Length)
        {
            int c = cps[end];
            int need = ClipTextTables.Utf8FirstOf2.Contains(c) ? 1
                : ClipTextTables.Utf8FirstOf3.Contains(c) ? 2
                : ClipTextTables.Utf8FirstOf4.Contains(c) ? 3 : 0;
            if (need == 0 || end + need >= cps.Length) break;
            bool ok = true;
            for (int k = 1; k <= need; k++) if (!ClipTextTables.Utf8Continuation.Contains(cps[end + k])) { ok = false; break; }
            if (!ok) break;
            end += need + 1;
        }
        return end > p ? end : -1;
    }

    static bool HasUtf8Mojibake(int[] cps)
    {
        for (int p = 0; p < cps.Length; p++) if (DetectorMatchAt(cps, p) > 0) return true;
        return false;
    }

    /// <summary>fixes.decode_inconsistent_utf8: fix each detected run that looks bad on its own.</summary>
    static string DecodeInconsistentUtf8(string text, int[] cps)
    {
        var sb = new StringBuilder(text.Length);
        int p = 0;
        while (p < cps.Length)
        {
            int end = DetectorMatchAt(cps, p);
            if (end < 0) { CodePoints.Append(sb, cps[p]); p++; continue; }
            var run = cps.AsSpan(p, end - p);
            // Require the match to be shorter than the text, so that this doesn't recurse forever.
            if (run.Length < cps.Length && IsBad(run)) sb.Append(FixEncoding(CodePoints.FromCodePoints(run)));
            else foreach (var c in run) CodePoints.Append(sb, c);
            p = end;
        }
        return sb.ToString();
    }

    // ---- decoders --------------------------------------------------------------------------------------------

    /// <summary>Python's strict UTF-8 decoder on bytes[from..to): null on any error.</summary>
    static string? DecodeUtf8Strict(byte[] b, int from, int to)
    {
        var sb = new StringBuilder(to - from);
        int i = from;
        while (i < to)
        {
            int c = b[i];
            if (c < 0x80) { sb.Append((char)c); i++; continue; }
            int n, cp, min;
            if (c is >= 0xC2 and <= 0xDF) { n = 1; cp = c & 0x1F; min = 0x80; }
            else if (c is >= 0xE0 and <= 0xEF) { n = 2; cp = c & 0x0F; min = 0x800; }
            else if (c is >= 0xF0 and <= 0xF4) { n = 3; cp = c & 0x07; min = 0x10000; }
            else return null;
            if (i + n >= to) return null;
            for (int k = 1; k <= n; k++)
            {
                int cc = b[i + k];
                if ((cc & 0xC0) != 0x80) return null;
                cp = (cp << 6) | (cc & 0x3F);
            }
            if (cp < min || cp > 0x10FFFF || cp is >= 0xD800 and <= 0xDFFF) return null;
            CodePoints.Append(sb, cp);
            i += n + 1;
        }
        return sb.ToString();
    }

    /// <summary>
    /// ftfy's "utf-8-variants" codec, strict: UTF-8 plus CESU-8 surrogate pairs and Java's 0xC0 0x80 for U+0000.
    /// PORT-QUIRK(ftfy, bad_codecs/utf8_variants.py): its byte regexes use '$', which also matches before a final
    /// b'\n', so 0xC0 + final '\n' decodes as U+0000 and a CESU-8 pair may end with that '\n'.
    /// </summary>
    static string? DecodeUtf8Variants(byte[] b)
    {
        int n = b.Length;
        bool EndAt(int q) => q == n || (q == n - 1 && b[n - 1] == 0x0A);   // Python's `$` at position q
        bool SpecialAt(int q)
        {
            if (b[q] == 0xC0) return EndAt(q + 1) || b[q + 1] == 0x80;
            if (b[q] != 0xED) return false;
            if (EndAt(q + 1)) return true;
            return b[q + 1] is >= 0xA0 and <= 0xBF && (EndAt(q + 2) || b[q + 2] is >= 0x80 and <= 0xBF);
        }

        var sb = new StringBuilder(n);
        int pos = 0;
        while (pos < n)
        {
            int q = pos;
            while (q < n && !SpecialAt(q)) q++;
            if (q > pos)
            {
                var part = DecodeUtf8Strict(b, pos, q);
                if (part is null) return null;
                sb.Append(part);
                pos = q;
                continue;
            }
            if (b[pos] == 0xC0)
            {
                if (n - pos == 1) return null;
                sb.Append('\0');
                pos += 2;
                continue;
            }
            // 0xED: a six-byte CESU-8 pair, or an error (a lone surrogate or a truncated sequence).
            if (n - pos < 6) return null;
            bool cesu = b[pos + 1] is >= 0xA0 and <= 0xAF && b[pos + 2] is >= 0x80 and <= 0xBF && b[pos + 3] == 0xED
                && b[pos + 4] is >= 0xB0 and <= 0xBF && (b[pos + 5] is >= 0x80 and <= 0xBF || (n - pos == 6 && b[pos + 5] == 0x0A));
            if (!cesu) return null;
            int cp = ((b[pos + 1] & 0x0F) << 16) + ((b[pos + 2] & 0x3F) << 10) + ((b[pos + 4] & 0x0F) << 6) + (b[pos + 5] & 0x3F) + 0x10000;
            sb.Append(char.ConvertFromUtf32(cp));
            pos += 6;
        }
        return sb.ToString();
    }
}
