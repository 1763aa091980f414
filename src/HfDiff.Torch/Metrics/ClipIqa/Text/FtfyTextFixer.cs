// Port of ftfy 6.3.1 (rspeer/python-ftfy, Apache License 2.0): ftfy/__init__.py fix_text / fix_and_explain
// (explain=False) and the str → str fixers of ftfy/fixes.py, with their tables generated into ClipTextTables.
// Reference: R. Speer, "ftfy", Zenodo 2019, doi:10.5281/zenodo.2591652.
using System.Text;


namespace HfDiff.Torch.Metrics.ClipIqa.Text;

/// <summary><c>ftfy.fix_text(text)</c> with ftfy 6.3.1's default <c>TextFixerConfig</c>.</summary>
internal static class FtfyTextFixer
{
    const int MaxDecodeLength = 1_000_000;   // TextFixerConfig.max_decode_length, in code points

    static readonly Dictionary<string, string> UpperCaseEntities =
        ClipTextTables.FtfyUpperCaseEntities.ToDictionary(e => e.Entity, e => e.Value, StringComparer.Ordinal);
    static readonly Dictionary<int, string> Ligatures = ClipTextTables.Ligatures.ToDictionary(e => e.Code, e => e.Value);
    static readonly Dictionary<int, string> WidthMap = ClipTextTables.WidthMap.ToDictionary(e => e.Code, e => e.Value);
    static readonly int LigaturesMin = ClipTextTables.Ligatures.Min(e => e.Code);
    static readonly int WidthMapMin = ClipTextTables.WidthMap.Min(e => e.Code);

    /// <summary>fix_text: fixes each line (segment ending in '\n') on its own.</summary>
    public static string FixText(string text)
    {
        var sb = new StringBuilder(text.Length);
        bool unescapeHtml = true;   // "auto"
        int pos = 0;
        while (pos < text.Length)
        {
            int nl = text.IndexOf('\n', pos);
            int textBreak = nl < 0 ? text.Length : nl + 1;
            textBreak = LimitCodePoints(text, pos, textBreak, MaxDecodeLength);
            var segment = text[pos..textBreak];
            // PORT-QUIRK(ftfy, __init__.py fix_text): once a segment contains '<', HTML unescaping stays off for
            // every later segment too (the config is replaced, not restored).
            if (unescapeHtml && segment.Contains('<')) unescapeHtml = false;
            sb.Append(FixSegment(segment, unescapeHtml));
            pos = textBreak;
        }
        return sb.ToString();
    }

    static int LimitCodePoints(string text, int start, int end, int maxCodePoints)
    {
        if (end - start <= maxCodePoints) return end;   // a UTF-16 length bounds the code point count
        int i = start, n = 0;
        while (i < end && n < maxCodePoints) { CodePoints.At(text, i, out int w); i += w; n++; }
        return i;
    }

    /// <summary>fix_and_explain with explain=False: apply every fixer until nothing changes.</summary>
    static string FixSegment(string text, bool unescapeHtml)
    {
        if (unescapeHtml && text.Contains('<')) unescapeHtml = false;
        while (true)
        {
            var orig = text;
            if (unescapeHtml) text = UnescapeHtml(text);
            text = FtfyEncodingFixer.FixEncoding(text);
            text = FtfyEncodingFixer.FixC1Controls(text);
            text = Translate(text, Ligatures, LigaturesMin);
            text = Translate(text, WidthMap, WidthMapMin);
            text = UncurlQuotes(text);
            text = FixLineBreaks(text);
            text = FixSurrogates(text);
            text = RemoveTerminalEscapes(text);
            text = RemoveControlChars(text);
            text = Nfc(text);
            if (text == orig) return text;
        }
    }

    /// <summary>fixes.unescape_html: <c>&amp;#?[0-9A-Za-z]{1,24};</c> replaced when it is a known entity or a numeric reference.</summary>
    public static string UnescapeHtml(string text)
    {
        int amp = text.IndexOf('&');
        if (amp < 0) return text;
        var sb = new StringBuilder(text.Length);
        sb.Append(text, 0, amp);
        int i = amp;
        while (i < text.Length)
        {
            if (text[i] != '&') { sb.Append(text[i]); i++; continue; }
            int j = i + 1;
            if (j < text.Length && text[j] == '#') j++;
            int k = j;
            while (k < text.Length && k - j < 25 && char.IsAsciiLetterOrDigit(text[k])) k++;
            if (k - j is >= 1 and <= 24 && k < text.Length && text[k] == ';')
            {
                var entity = text[i..(k + 1)];
                sb.Append(UnescapeFixup(entity));
                i = k + 1;
            }
            else { sb.Append('&'); i++; }
        }
        return sb.ToString();
    }

    static string UnescapeFixup(string entity)
    {
        if (PythonHtml.TryGetEntity(entity[1..], out var value)) return value;
        if (UpperCaseEntities.TryGetValue(entity, out value)) return value;
        if (entity.StartsWith("&#", StringComparison.Ordinal))
        {
            var unescaped = PythonHtml.Unescape(entity);
            // If html.unescape only decoded part of the string, keep it: the ';' must be consumed.
            return unescaped.Contains(';') ? entity : unescaped;
        }
        return entity;
    }

    static string Translate(string text, Dictionary<int, string> map, int minKey)
    {
        if (text.AsSpan().IndexOfAnyInRange((char)minKey, '\uFFFF') < 0) return text;   // all keys are in the BMP
        StringBuilder? sb = null;
        for (int i = 0; i < text.Length;)
        {
            int c = CodePoints.At(text, i, out int w);
            if (c >= minKey && map.TryGetValue(c, out var rep))
            {
                sb ??= new StringBuilder(text.Length).Append(text, 0, i);
                sb.Append(rep);
            }
            else sb?.Append(text, i, w);
            i += w;
        }
        return sb?.ToString() ?? text;
    }

    /// <summary>fixes.uncurl_quotes: [U+02BC U+2018–U+201B] → ', [U+201C–U+201F] → ".</summary>
    static string UncurlQuotes(string text)
    {
        if (text.AsSpan().IndexOfAnyInRange('\u2018', '\u201F') < 0 && !text.Contains('\u02BC')) return text;
        var chars = text.ToCharArray();
        for (int i = 0; i < chars.Length; i++)
        {
            if (chars[i] is '\u02BC' or (>= '\u2018' and <= '\u201B')) chars[i] = '\'';
            else if (chars[i] is >= '\u201C' and <= '\u201F') chars[i] = '"';
        }
        return new string(chars);
    }

    static string FixLineBreaks(string text) =>
        text.Replace("\r\n", "\n").Replace('\r', '\n').Replace('\u2028', '\n').Replace('\u2029', '\n').Replace('\u0085', '\n');

    /// <summary>fixes.fix_surrogates: a .NET string's valid pairs are already code points; lone halves become U+FFFD.</summary>
    static string FixSurrogates(string text)
    {
        if (text.AsSpan().IndexOfAnyInRange('\uD800', '\uDFFF') < 0) return text;
        var sb = new StringBuilder(text.Length);
        for (int i = 0; i < text.Length;)
        {
            int c = CodePoints.At(text, i, out int w);
            if (c is >= 0xD800 and <= 0xDFFF) sb.Append('\uFFFD'); else sb.Append(text, i, w);
            i += w;
        }
        return sb.ToString();
    }

    /// <summary>fixes.remove_terminal_escapes: <c>\033\[((?:\d|;)*)([a-zA-Z])</c> removed (\d is any Unicode decimal digit).</summary>
    static string RemoveTerminalEscapes(string text)
    {
        int esc = text.IndexOf('\u001B');
        if (esc < 0) return text;
        var sb = new StringBuilder(text.Length);
        sb.Append(text, 0, esc);
        int i = esc;
        while (i < text.Length)
        {
            if (text[i] == '\u001B' && i + 1 < text.Length && text[i + 1] == '[')
            {
                int k = i + 2;
                while (k < text.Length)
                {
                    int c = CodePoints.At(text, k, out int w);
                    if (c == ';' || ClipTextTables.PythonDigit.Contains(c)) k += w; else break;
                }
                if (k < text.Length && char.IsAsciiLetter(text[k])) { i = k + 1; continue; }
            }
            sb.Append(text[i]);
            i++;
        }
        return sb.ToString();
    }

    static string RemoveControlChars(string text)
    {
        StringBuilder? sb = null;
        for (int i = 0; i < text.Length; i++)
        {
            // Every code point in CONTROL_CHARS is in the BMP, so UTF-16 units can be tested one by one.
            if (ClipTextTables.ControlChars.Contains(text[i])) sb ??= new StringBuilder(text.Length).Append(text, 0, i);
            else sb?.Append(text[i]);
        }
        return sb?.ToString() ?? text;
    }

    static string Nfc(string text)
    {
        if (CodePoints.IsAscii(text) || text.IsNormalized(NormalizationForm.FormC)) return text;
        return text.Normalize(NormalizationForm.FormC);
    }
}
