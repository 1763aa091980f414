using System.Text.Json;
using HfDiff.Tests.Common;
using HfDiff.Torch.Metrics.ClipIqa.Text;

namespace HfDiff.Torch.Tests.Metrics.ClipIqa;

/// <summary>Paths and settings of the CLIP-IQA part of the iqa fixture (section 4 of its README).</summary>
internal sealed class ClipIqaFixture
{
    public string Dir { get; }
    public JsonElement Config { get; }
    public string PlainWeights { get; }
    public string ArchiveWeights { get; }
    public string LearnedContext { get; }
    public string BpeVocab { get; }
    public string IoPath { get; }

    public ClipIqaFixture()
    {
        Dir = TestPaths.Fixture("iqa");
        Config = TestPaths.ReadConfig(Dir).GetProperty("clipiqa");
        PlainWeights = Path.Combine(Dir, FirstToken(Config.GetProperty("checkpoint").GetString()!));
        ArchiveWeights = Path.Combine(Dir, Config.GetProperty("torchscript_archive").GetProperty("file").GetString()!);
        LearnedContext = Path.Combine(Dir, FirstToken(Config.GetProperty("clipiqa+_ctx").GetString()!));
        BpeVocab = Path.Combine(Dir, "bpe_simple_vocab_16e6.txt.gz");
        IoPath = Path.Combine(Dir, "io.safetensors");
    }

    /// <summary>The config describes files as "path (explanation)"; the path is the first word.</summary>
    static string FirstToken(string s) => s.Split(' ', 2)[0];

    public IReadOnlyList<string> Prompts => Config.GetProperty("prompts").EnumerateArray().Select(e => e.GetString()!).ToList();
    public IReadOnlyList<string> PlusInitPrompts => Config.GetProperty("clipiqa+_init_prompts").EnumerateArray().Select(e => e.GetString()!).ToList();

    /// <summary>(name, file path) of the CLIP test images.</summary>
    public IReadOnlyList<(string Name, string File)> Images =>
        Config.GetProperty("images").EnumerateObject()
              .Select(p => (p.Name, Path.Combine(Dir, "images", p.Value.GetProperty("file").GetString()!))).ToList();

    /// <summary>n_ctx = number of "X" placeholders in the init prompts.</summary>
    public int ContextTokens => PlusInitPrompts[0].Split(' ').Count(w => w == "X");

    static ClipTokenizer? _tokenizer;
    public ClipTokenizer Tokenizer => _tokenizer ??= ClipTokenizer.FromFile(BpeVocab);
}
