// Port of the text clean-up in openai/CLIP clip/simple_tokenizer.py (basic_clean, whitespace_clean),
// commit d05afc436d78f1c48dc0dbf8e5980a9d471f35f6. Paper: Radford et al., "Learning Transferable Visual Models
// From Natural Language Supervision", ICML 2021.
using System.Net;
using System.Text;
using System.Text.RegularExpressions;

namespace HfDiff.Torch.Text;

/// <summary>
/// CLIP's prompt clean-up before BPE: <c>ftfy.fix_text</c>, HTML unescape twice, trim, collapse runs of white space to
/// one space, lower-case. ftfy is approximated by the parts of its default pipeline that touch ordinary prompts
/// (curly quotes → straight, Latin ligatures and full-width forms → plain letters, NFC); its mojibake repair is not
/// reproduced, so text that is already broken UTF-8 decoded as Latin-1 may tokenise differently from the reference.
/// </summary>
public static partial class ClipTextCleaner
{
    /// <summary>The whole pipeline: <c>whitespace_clean(basic_clean(text)).lower()</c>.</summary>
    public static string Clean(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var s = FixText(text);
        s = WebUtility.HtmlDecode(WebUtility.HtmlDecode(s)).Trim();
        s = WhiteSpaceRun().Replace(s, " ").Trim();
        return s.ToLowerInvariant();
    }

    /// <summary>The subset of ftfy's default <c>fix_text</c> that applies to well-formed Unicode text.</summary>
    public static string FixText(string text)
    {
        var sb = new StringBuilder(text.Length);
        foreach (var ch in text)
        {
            switch (ch)
            {
                case '\u2018' or '\u2019' or '\u201A' or '\u201B': sb.Append('\''); break;   // uncurl_quotes
                case '\u201C' or '\u201D' or '\u201E' or '\u201F': sb.Append('"'); break;
                case >= '\uFB00' and <= '\uFB06':                                              // fix_latin_ligatures
                case >= '\uFF01' and <= '\uFF5E':                                              // fix_character_width
                case '\u3000':
                    sb.Append(ch.ToString().Normalize(NormalizationForm.FormKC)); break;
                default: sb.Append(ch); break;
            }
        }
        return sb.ToString().Normalize(NormalizationForm.FormC);
    }

    [GeneratedRegex(@"\s+")]
    private static partial Regex WhiteSpaceRun();
}
