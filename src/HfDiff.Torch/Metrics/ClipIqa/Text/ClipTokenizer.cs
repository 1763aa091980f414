// Port of openai/CLIP clip/simple_tokenizer.py (SimpleTokenizer) and clip/clip.py (tokenize),
// commit d05afc436d78f1c48dc0dbf8e5980a9d471f35f6. Paper: Radford et al., "Learning Transferable Visual Models
// From Natural Language Supervision", ICML 2021. Byte-level BPE as in GPT-2 (Radford et al., 2019).
using System.Collections.Concurrent;
using System.IO.Compression;
using System.Text;
using System.Text.RegularExpressions;
using static TorchSharp.torch;


namespace HfDiff.Torch.Metrics.ClipIqa.Text;

/// <summary>
/// CLIP's byte-level BPE tokenizer, read from the official merges file <c>bpe_simple_vocab_16e6.txt.gz</c>.
/// <see cref="Encode"/> gives the BPE ids of one text (no special tokens); <see cref="Tokenize"/> gives
/// <c>clip.tokenize</c>'s (N, context) int64 tensor: <c>[SOT, ids…, EOT, 0…]</c>.
/// </summary>
public sealed partial class ClipTokenizer
{
    /// <summary>Number of merges CLIP keeps: lines 1 … 49152−256−2 of the file (line 0 is a version header).</summary>
    public const int MergeCount = 49152 - 256 - 2;
    public const string StartOfTextToken = "<|startoftext|>";
    public const string EndOfTextToken = "<|endoftext|>";
    public const int DefaultContextLength = 77;

    readonly Dictionary<string, int> _encoder;
    readonly string[] _decoder;
    readonly Dictionary<(string, string), int> _bpeRanks;
    readonly ConcurrentDictionary<string, string[]> _cache = new(StringComparer.Ordinal);
    static readonly char[] ByteToChar = BuildByteToUnicode();
    // PORT-QUIRK(CLIP, simple_tokenizer.py): the base vocabulary follows bytes_to_unicode's dict insertion order
    // (printable bytes first, then the remapped ones), not byte order.
    static readonly char[] ByteSymbolOrder = BuildByteSymbolOrder();

    /// <summary>Id of <c>&lt;|startoftext|&gt;</c> (49406 in the official vocabulary).</summary>
    public int StartOfText { get; }
    /// <summary>Id of <c>&lt;|endoftext|&gt;</c> (49407); the highest id, which is how CLIP finds the EOT position.</summary>
    public int EndOfText { get; }
    public int VocabularySize => _decoder.Length;

    ClipTokenizer(IReadOnlyList<(string, string)> merges)
    {
        // Vocabulary order as simple_tokenizer.py: 256 byte symbols, the same with '</w>', one per merge, 2 specials.
        var vocab = new List<string>(512 + merges.Count + 2);
        foreach (var c in ByteSymbolOrder) vocab.Add(c.ToString());
        foreach (var c in ByteSymbolOrder) vocab.Add(c + "</w>");
        foreach (var (a, b) in merges) vocab.Add(a + b);
        vocab.Add(StartOfTextToken);
        vocab.Add(EndOfTextToken);
        _decoder = [.. vocab];
        _encoder = new Dictionary<string, int>(vocab.Count, StringComparer.Ordinal);
        for (int i = 0; i < vocab.Count; i++) _encoder[vocab[i]] = i;   // later duplicates win, as dict(zip(...))
        _bpeRanks = new Dictionary<(string, string), int>(merges.Count);
        for (int i = 0; i < merges.Count; i++) _bpeRanks[merges[i]] = i;   // dict(zip(...)): a repeated merge keeps its last rank
        StartOfText = _encoder[StartOfTextToken];
        EndOfText = _encoder[EndOfTextToken];
        _cache[StartOfTextToken] = [StartOfTextToken];
        _cache[EndOfTextToken] = [EndOfTextToken];
    }

    /// <summary>Reads the gzip-compressed merges file (<c>bpe_simple_vocab_16e6.txt.gz</c>).</summary>
    public static ClipTokenizer FromFile(string bpeVocabPath)
    {
        if (!File.Exists(bpeVocabPath))
            throw new FileNotFoundException($"CLIP BPE vocabulary not found: '{bpeVocabPath}'.", bpeVocabPath);
        string text;
        try
        {
            using var fs = File.OpenRead(bpeVocabPath);
            using var gz = new GZipStream(fs, CompressionMode.Decompress);
            using var reader = new StreamReader(gz, new UTF8Encoding(false, true));
            text = reader.ReadToEnd();
        }
        catch (Exception e) when (e is InvalidDataException or DecoderFallbackException)
        {
            throw new InvalidDataException($"'{bpeVocabPath}' is not a gzip-compressed UTF-8 BPE merges file ({e.Message}).", e);
        }
        var lines = text.Split('\n');
        if (lines.Length < MergeCount + 1)
            throw new InvalidDataException($"'{bpeVocabPath}' has {lines.Length - 1} merge lines; CLIP needs {MergeCount} (is it bpe_simple_vocab_16e6.txt.gz?).");
        var merges = new List<(string, string)>(MergeCount);
        for (int i = 1; i <= MergeCount; i++)
        {
            var parts = lines[i].Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
            if (parts.Length != 2)
                throw new InvalidDataException($"'{bpeVocabPath}' line {i + 1}: expected two symbols separated by a space, got '{lines[i]}'.");
            merges.Add((parts[0], parts[1]));
        }
        return new ClipTokenizer(merges);
    }

    /// <summary>BPE ids of one text after CLIP's clean-up (<see cref="ClipTextCleaner.Clean"/>); no SOT/EOT.</summary>
    /// <exception cref="ArgumentException">The text is outside what <see cref="ClipTextCleaner"/> cleans exactly (non-ASCII).</exception>
    public IReadOnlyList<int> Encode(string text)
    {
        var ids = new List<int>();
        var cleaned = ClipTextCleaner.Clean(text);
        foreach (Match m in TokenPattern().Matches(cleaned))
        {
            var bytes = Encoding.UTF8.GetBytes(m.Value);
            var sb = new StringBuilder(bytes.Length);
            foreach (var b in bytes) sb.Append(ByteToChar[b]);
            foreach (var symbol in Bpe(sb.ToString())) ids.Add(_encoder[symbol]);
        }
        return ids;
    }

    /// <summary>
    /// <c>clip.tokenize</c>: (N, <paramref name="contextLength"/>) int64, each row <c>[SOT, ids…, EOT]</c> zero padded.
    /// Too long a text throws unless <paramref name="truncate"/>, which cuts it and puts EOT last (as the reference).
    /// </summary>
    public Tensor Tokenize(IReadOnlyList<string> texts, int contextLength = DefaultContextLength, bool truncate = false)
    {
        ArgumentNullException.ThrowIfNull(texts);
        if (contextLength < 2) throw new ArgumentOutOfRangeException(nameof(contextLength), $"contextLength must be >= 2; got {contextLength}.");
        var data = new long[texts.Count * contextLength];
        for (int i = 0; i < texts.Count; i++)
        {
            var tokens = new List<int> { StartOfText };
            tokens.AddRange(Encode(texts[i]));
            tokens.Add(EndOfText);
            if (tokens.Count > contextLength)
            {
                if (!truncate)
                    throw new ArgumentException($"Text {i} ('{texts[i]}') has {tokens.Count} tokens, more than the context length {contextLength}.", nameof(texts));
                tokens.RemoveRange(contextLength, tokens.Count - contextLength);
                tokens[^1] = EndOfText;
            }
            for (int j = 0; j < tokens.Count; j++) data[i * contextLength + j] = tokens[j];
        }
        return tensor(data, [texts.Count, contextLength], ScalarType.Int64);
    }

    /// <summary>Inverse of <see cref="Encode"/> up to clean-up: ids → text, <c>&lt;/w&gt;</c> becomes a space.</summary>
    public string Decode(IEnumerable<int> ids)
    {
        var sb = new StringBuilder();
        foreach (var id in ids)
        {
            if (id < 0 || id >= _decoder.Length) throw new ArgumentOutOfRangeException(nameof(ids), $"Token id {id} is outside the vocabulary [0, {_decoder.Length}).");
            sb.Append(_decoder[id]);
        }
        var symbols = sb.ToString();
        var bytes = new List<byte>(symbols.Length);
        var charToByte = CharToByte.Value;
        int k = 0;
        while (k < symbols.Length)
        {
            if (string.CompareOrdinal(symbols, k, "</w>", 0, 4) == 0) { bytes.Add((byte)' '); k += 4; continue; }
            if (charToByte.TryGetValue(symbols[k], out var b)) bytes.Add(b);
            else bytes.AddRange(Encoding.UTF8.GetBytes(symbols[k].ToString()));   // special tokens' '<', '|' …
            k++;
        }
        return Encoding.UTF8.GetString([.. bytes]);
    }

    /// <summary>Greedy BPE of one pre-token (already mapped to byte symbols): merge the lowest-ranked pair until none applies.</summary>
    string[] Bpe(string token)
    {
        if (_cache.TryGetValue(token, out var cached)) return cached;
        var word = new List<string>(token.Length);
        for (int i = 0; i < token.Length - 1; i++) word.Add(token[i].ToString());
        word.Add(token[^1] + "</w>");

        while (word.Count > 1)
        {
            (string, string)? best = null;
            int bestRank = int.MaxValue;
            for (int i = 0; i < word.Count - 1; i++)
                if (_bpeRanks.TryGetValue((word[i], word[i + 1]), out var r) && r < bestRank) { bestRank = r; best = (word[i], word[i + 1]); }
            if (best is null) break;
            var (first, second) = best.Value;
            var merged = new List<string>(word.Count);
            int k = 0;
            while (k < word.Count)
            {
                if (k < word.Count - 1 && word[k] == first && word[k + 1] == second) { merged.Add(first + second); k += 2; }
                else { merged.Add(word[k]); k++; }
            }
            word = merged;
        }
        var result = word.ToArray();
        _cache[token] = result;
        return result;
    }

    /// <summary>GPT-2's reversible byte → printable-character table (bytes_to_unicode).</summary>
    static char[] BuildByteToUnicode()
    {
        var map = new char[256];
        var assigned = new bool[256];
        static bool Printable(int b) => (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
        for (int b = 0; b < 256; b++) if (Printable(b)) { map[b] = (char)b; assigned[b] = true; }
        int n = 0;
        for (int b = 0; b < 256; b++) if (!assigned[b]) map[b] = (char)(256 + n++);
        return map;
    }

    static char[] BuildByteSymbolOrder()
    {
        static bool Printable(int b) => (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
        var order = Enumerable.Range(0, 256).Where(Printable).Concat(Enumerable.Range(0, 256).Where(b => !Printable(b)));
        return order.Select(b => ByteToChar[b]).ToArray();
    }

    static readonly Lazy<Dictionary<char, byte>> CharToByte = new(() =>
    {
        var d = new Dictionary<char, byte>(256);
        for (int b = 0; b < 256; b++) d[ByteToChar[b]] = (byte)b;
        return d;
    });

    // PORT-QUIRK(CLIP, simple_tokenizer.py): the pattern is matched case-insensitively and digits split one by one.
    // The cleaned text is printable ASCII with ' ' as its only white space (ClipTextCleaner refuses anything else),
    // where .NET's and the `regex` module's \p{L}, \p{N} and \s agree.
    [GeneratedRegex(@"<\|startoftext\|>|<\|endoftext\|>|'s|'t|'re|'ve|'m|'ll|'d|[\p{L}]+|[\p{N}]|[^\s\p{L}\p{N}]+", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex TokenPattern();
}
