// Port of Python's html.unescape (CPython Lib/html/__init__.py, 3.11), PSF License. Its named-entity table
// and numeric-reference rules come from the generated ClipTextTables (html.entities.html5 and friends).
using System.Text;


namespace HfDiff.Torch.Metrics.ClipIqa.Text;

/// <summary>Python's <c>html.unescape</c>: HTML5 named references (with or without ';', longest prefix) and numeric references.</summary>
internal static class PythonHtml
{
    static readonly Dictionary<string, string> Html5 = ClipTextTables.Html5Entities.ToDictionary(e => e.Name, e => e.Value, StringComparer.Ordinal);
    static readonly Dictionary<int, string> InvalidCharrefs = ClipTextTables.HtmlInvalidCharrefs.ToDictionary(e => e.Code, e => e.Value);

    /// <summary>The HTML5 entity table (names without the leading '&amp;').</summary>
    public static bool TryGetEntity(string name, out string value) => Html5.TryGetValue(name, out value!);

    /// <summary><c>html.unescape(s)</c>.</summary>
    public static string Unescape(string s)
    {
        int amp = s.IndexOf('&');
        if (amp < 0) return s;
        var sb = new StringBuilder(s.Length);
        sb.Append(s, 0, amp);
        int i = amp;
        while (i < s.Length)
        {
            if (s[i] != '&') { sb.Append(s[i]); i++; continue; }
            int end = MatchCharref(s, i + 1, out bool numeric);
            if (end < 0) { sb.Append('&'); i++; continue; }
            sb.Append(numeric ? NumericReplacement(s, i + 1, end) : NamedReplacement(s.Substring(i + 1, end - i - 1)));
            i = end;
        }
        return sb.ToString();
    }

    // _charref = r'&(#[0-9]+;?|#[xX][0-9a-fA-F]+;?|[^\t\n\f <&#;]{1,32};?)'; returns the end of group 1 or -1.
    static int MatchCharref(string s, int start, out bool numeric)
    {
        numeric = false;
        if (start >= s.Length) return -1;
        if (s[start] == '#')
        {
            int j = start + 1;
            while (j < s.Length && char.IsAsciiDigit(s[j])) j++;
            if (j > start + 1) { numeric = true; return j < s.Length && s[j] == ';' ? j + 1 : j; }
            if (start + 1 < s.Length && (s[start + 1] == 'x' || s[start + 1] == 'X'))
            {
                j = start + 2;
                while (j < s.Length && char.IsAsciiHexDigit(s[j])) j++;
                if (j > start + 2) { numeric = true; return j < s.Length && s[j] == ';' ? j + 1 : j; }
            }
            return -1;
        }
        int k = start, count = 0;
        while (k < s.Length && count < 32)
        {
            char c = s[k];
            if (c is '\t' or '\n' or '\f' or ' ' or '<' or '&' or '#' or ';') break;
            CodePoints.At(s, k, out int w);   // {1,32} counts code points, as Python's str does
            k += w;
            count++;
        }
        if (count == 0) return -1;
        return k < s.Length && s[k] == ';' ? k + 1 : k;
    }

    static string NumericReplacement(string s, int start, int end)
    {
        // group 1 = '#' digits [';']  or  '#x' hexdigits [';']
        bool hex = s[start + 1] is 'x' or 'X';
        int digitsStart = start + (hex ? 2 : 1);
        int digitsEnd = s[end - 1] == ';' ? end - 1 : end;
        long num = 0;
        bool huge = false;
        for (int k = digitsStart; k < digitsEnd; k++)
        {
            int d = hex ? Convert.ToInt32(s[k].ToString(), 16) : s[k] - '0';
            num = num * (hex ? 16 : 10) + d;
            if (num > 0x10FFFF) { huge = true; break; }   // Python's int is unbounded; anything past 0x10FFFF is U+FFFD
        }
        if (!huge && InvalidCharrefs.TryGetValue((int)num, out var replacement)) return replacement;
        if (huge || (num >= 0xD800 && num <= 0xDFFF)) return "\uFFFD";
        if (ClipTextTables.HtmlInvalidCodepoints.Contains((int)num)) return "";
        return char.ConvertFromUtf32((int)num);
    }

    static string NamedReplacement(string name)
    {
        if (Html5.TryGetValue(name, out var v)) return v;
        // Longest prefix (at least 2 characters) that is an entity, as the HTML5 standard defines.
        for (int x = name.Length - 1; x > 1; x--)
            if (Html5.TryGetValue(name[..x], out v)) return v + name[x..];
        return "&" + name;
    }
}
