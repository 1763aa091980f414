using HfDiff.Tests.Common;
using HfDiff.Torch.Tests.Metrics.ClipIqa;
using HfDiff.Torch.Metrics.ClipIqa.Text;

namespace HfDiff.Torch.Tests.Metrics.ClipIqa.Text;

[TestClass]
[TestCategory("Parity.Clipiqa")]
public class ClipTokenizerTests
{
    static ClipIqaFixture Fx => _fx ??= new ClipIqaFixture();
    static ClipIqaFixture? _fx;

    [TestMethod]
    public void Tokenize_FixturePrompts_EqualReferenceIds()
    {
        using var io = new FixtureTensors(Fx.IoPath);
        using var ids = Fx.Tokenizer.Tokenize(Fx.Prompts);
        Assert.IsTrue(ids.equal(io["clipiqa.prompt_ids"]).all().item<bool>());
        using var plus = Fx.Tokenizer.Tokenize(Fx.PlusInitPrompts);
        Assert.IsTrue(plus.equal(io["clipiqa+.prompt_ids"]).all().item<bool>());
    }

    [TestMethod]
    public void Vocabulary_OfficialFile_HasClipSizeAndSpecialIds()
    {
        int vocab = Fx.Config.GetProperty("reduced_clip_constructor").GetProperty("vocab_size").GetInt32();
        Assert.AreEqual(vocab, Fx.Tokenizer.VocabularySize);
        Assert.AreEqual(vocab - 2, Fx.Tokenizer.StartOfText);
        Assert.AreEqual(vocab - 1, Fx.Tokenizer.EndOfText);
    }

    [TestMethod]
    public void Encode_ReadmeExample_GivesPublishedIds()
    {
        // README section 4: 'a photo of a cat' → 49406 320 1125 539 320 2368 49407 (verified against openai/CLIP).
        using var t = Fx.Tokenizer.Tokenize(["a photo of a cat"]);
        CollectionAssert.AreEqual(new long[] { 49406, 320, 1125, 539, 320, 2368, 49407, 0 }, t[0, ..8].data<long>().ToArray());
    }

    [TestMethod]
    public void Encode_CaseAndWhitespace_AreCleanedLikeReference()
    {
        CollectionAssert.AreEqual(Fx.Tokenizer.Encode("good image").ToList(), Fx.Tokenizer.Encode("  GOOD \t\n image ").ToList());
        CollectionAssert.AreEqual(Fx.Tokenizer.Encode("a & b").ToList(), Fx.Tokenizer.Encode("a &amp;amp; b").ToList());
    }

    [TestMethod]
    public void Tokenize_NonAsciiPrompt_RefusedNamingIt()
    {
        // ftfy would uncurl U+2019 to "'"; the cleaner is exact on ASCII only and refuses instead of guessing.
        var tokenizer = Fx.Tokenizer;
        var e = Assert.ThrowsExactly<ArgumentException>(() => tokenizer.Tokenize(["good image", "it\u2019s blurry"]));
        StringAssert.Contains(e.Message, "it\u2019s blurry");
        StringAssert.Contains(e.Message, "U+2019");
    }

    [TestMethod]
    public void Decode_EncodedText_RoundTrips()
    {
        var text = "noise-free image, 4k resolution! <b>&</b> elan";
        // Every pre-token ends with '</w>' → a space, so compare without spaces.
        Assert.AreEqual(text.Replace(" ", ""), Fx.Tokenizer.Decode(Fx.Tokenizer.Encode(text)).Replace(" ", ""));
    }

    [TestMethod]
    public void Tokenize_TooLong_ThrowsUnlessTruncating()
    {
        var text = string.Join(" ", Enumerable.Repeat("word", 100));
        var tokenizer = Fx.Tokenizer; // outside the lambda: a missing fixture must skip, not count as the wrong exception
        var e = Assert.ThrowsExactly<ArgumentException>(() => tokenizer.Tokenize([text]));
        StringAssert.Contains(e.Message, "context length");
        using var t = tokenizer.Tokenize([text], truncate: true);
        Assert.AreEqual(tokenizer.EndOfText, t[0, -1].item<long>());
    }

    [TestMethod]
    public void FromFile_NotGzip_ThrowsNamingFile()
    {
        var path = Path.Combine(Path.GetTempPath(), $"hfdiff-bpe-{Guid.NewGuid():N}.txt.gz");
        File.WriteAllText(path, "not gzip");
        try
        {
            var e = Assert.ThrowsExactly<InvalidDataException>(() => ClipTokenizer.FromFile(path));
            StringAssert.Contains(e.Message, path);
        }
        finally { File.Delete(path); }
    }
}
