using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;
using HfDiff.Torch.Metrics.ClipIqa.Text;

namespace HfDiff.Torch.Tests.Metrics.ClipIqa.Text;

[TestClass]
[TestCategory("Parity.ClipText")]
public class ClipTextCleanerTests
{
    sealed record Case(string Category, string Input, string Expected);

    // clip_clean_cases.json is written by tools/fixtures/clip_clean_cases.py with CLIP's clean-up functions and ftfy
    // 6.3.1; it sits next to this file (read from the source tree, so the test project needs no copy rule).
    // Provenance of the committed copy: PyPI was unreachable where it was made, so the script ran against a
    // transcription of ftfy 6.3.1's source (rspeer/python-ftfy), not the installed package. Re-running the script with
    // the real ftfy 6.3.1 must leave the file unchanged; until that is done, treat the mojibake cases as checked
    // against our reading of ftfy, not against ftfy itself.
    static string CorpusPath([CallerFilePath] string thisFile = "") =>
        Path.Combine(Path.GetDirectoryName(thisFile)!, "clip_clean_cases.json");

    static (JsonElement Root, List<Case> Cases) LoadCorpus()
    {
        var path = CorpusPath();
        if (!File.Exists(path)) Assert.Fail($"Corpus '{path}' not found; regenerate it with tools/fixtures/clip_clean_cases.py.");
        using var doc = JsonDocument.Parse(File.ReadAllText(path));
        var root = doc.RootElement.Clone();
        var cases = root.GetProperty("cases").EnumerateArray()
            .Select(c => new Case(c.GetProperty("category").GetString()!, c.GetProperty("input").GetString()!, c.GetProperty("expected").GetString()!))
            .ToList();
        return (root, cases);
    }

    static string Escape(string s)
    {
        var sb = new StringBuilder();
        foreach (var c in s) sb.Append(c is >= ' ' and < '\u007f' ? c.ToString() : $"\\u{(int)c:X4}");
        return sb.ToString();
    }

    [TestMethod]
    public void Clean_ReferenceCorpus_EqualsPythonClipCleanup()
    {
        var (root, cases) = LoadCorpus();
        // Every category the generator counted must be present (guards against a truncated or stale file).
        foreach (var cat in root.GetProperty("counts").EnumerateObject())
            Assert.AreEqual(cat.Value.GetInt32(), cases.Count(c => c.Category == cat.Name), $"category {cat.Name}");
        Assert.IsGreaterThan(0, cases.Count);

        var failures = new List<string>();
        foreach (var c in cases)
        {
            string actual;
            try { actual = ClipTextCleaner.Clean(c.Input); }
            catch (Exception e) { actual = $"<{e.GetType().Name}: {e.Message}>"; }
            if (actual != c.Expected)
                failures.Add($"[{c.Category}] in='{Escape(c.Input)}' expected='{Escape(c.Expected)}' actual='{Escape(actual)}'");
        }
        Assert.IsEmpty(failures, $"{failures.Count}/{cases.Count} cases differ:\n" + string.Join("\n", failures.Take(25)));
    }

    [TestMethod]
    public void Clean_LoneSurrogate_BecomesReplacementCharacter()
    {
        // ftfy.fixes.fix_surrogates: unpaired surrogates become U+FFFD; a valid pair is one code point and stays.
        Assert.AreEqual("a\uFFFDb\uFFFD", ClipTextCleaner.Clean("A\uD800B\uDC00"));
        Assert.AreEqual("\U0001F600", ClipTextCleaner.Clean("\U0001F600"));
    }

    [TestMethod]
    public void Clean_Null_ThrowsArgumentNull()
    {
        Assert.ThrowsExactly<ArgumentNullException>(() => ClipTextCleaner.Clean(null!));
        Assert.ThrowsExactly<ArgumentNullException>(() => ClipTextCleaner.FixText(null!));
    }

    [TestMethod]
    public void FixText_HtmlInsideTags_LeavesEntities()
    {
        // ftfy's unescape_html is 'auto': a '<' in the segment (or an earlier one) turns it off.
        Assert.AreEqual("<b>&amp;</b>", ClipTextCleaner.FixText("<b>&amp;</b>"));
        Assert.AreEqual("a & b\n<p>&amp;", ClipTextCleaner.FixText("a &amp; b\n<p>&amp;"));
    }
}
