// Python str semantics that CLIP's clean-up relies on (CPython 3.11 Objects/unicodeobject.c do_lower /
// handle_capital_sigma, str.strip, and re's Unicode \s), PSF License; data from the generated ClipTextTables.
using System.Text;


namespace HfDiff.Torch.Metrics.ClipIqa.Text;

/// <summary>Python's <c>str.strip()</c>, <c>re.sub(r'\s+', ' ', s)</c> and <c>str.lower()</c> on .NET strings.</summary>
internal static class PythonText
{
    static readonly Dictionary<int, string> Lower = ClipTextTables.LowerCase.ToDictionary(e => e.Code, e => e.Lower);

    public static bool IsSpace(int codePoint) => ClipTextTables.PythonSpace.Contains(codePoint);

    /// <summary><c>s.strip()</c>: removes Python white space (all of it is in the BMP) from both ends.</summary>
    public static string Strip(string s)
    {
        int start = 0, end = s.Length;
        while (start < end && IsSpace(s[start])) start++;
        while (end > start && IsSpace(s[end - 1])) end--;
        return start == 0 && end == s.Length ? s : s[start..end];
    }

    /// <summary><c>re.sub(r'\s+', ' ', s)</c>.</summary>
    public static string CollapseWhiteSpace(string s)
    {
        var sb = new StringBuilder(s.Length);
        bool inRun = false;
        foreach (var c in s)
        {
            if (IsSpace(c)) { if (!inRun) sb.Append(' '); inRun = true; }
            else { sb.Append(c); inRun = false; }
        }
        return sb.ToString();
    }

    /// <summary>
    /// <c>s.lower()</c>: Unicode full lower-case mapping (e.g. 'İ' → "i̇"), and capital sigma becomes final 'ς' in
    /// the Final_Sigma context (cased letter, case-ignorables, Σ, not followed by case-ignorables and a cased letter).
    /// </summary>
    public static string ToLower(string s)
    {
        int[] cps = CodePoints.Of(s);
        var sb = new StringBuilder(s.Length);
        for (int i = 0; i < cps.Length; i++)
        {
            int c = cps[i];
            if (c < 0x80) sb.Append((char)(c is >= 'A' and <= 'Z' ? c + 32 : c));
            else if (c == 0x3A3) sb.Append(IsFinalSigma(cps, i) ? '\u03C2' : '\u03C3');
            else if (Lower.TryGetValue(c, out var l)) sb.Append(l);
            else CodePoints.Append(sb, c);
        }
        return sb.ToString();
    }

    // PORT-QUIRK(CPython, unicodeobject.c handle_capital_sigma): case-ignorable characters are skipped in both
    // directions even when they are also cased; the text boundary ends the context.
    static bool IsFinalSigma(int[] cps, int i)
    {
        int j = i - 1;
        while (j >= 0 && ClipTextTables.CaseIgnorable.Contains(cps[j])) j--;
        bool final = j >= 0 && ClipTextTables.CasedNotIgnorable.Contains(cps[j]);
        if (final && i < cps.Length - 1)
        {
            j = i + 1;
            while (j < cps.Length && ClipTextTables.CaseIgnorable.Contains(cps[j])) j++;
            final = j == cps.Length || !ClipTextTables.CasedNotIgnorable.Contains(cps[j]);
        }
        return final;
    }
}
