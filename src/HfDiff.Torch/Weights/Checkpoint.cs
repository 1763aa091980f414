using System.IO.Compression;
using System.Text.Json;
using HfDiff.Torch.Imaging;
using HfDiff.Torch.Weights.Pickle;
using HfDiff.Torch.Weights.TorchScript;
using TorchSharp;
using TorchSharp.PyBridge;
using static TorchSharp.torch;

namespace HfDiff.Torch.Weights;

/// <summary>On-disk formats we recognise by their first bytes.</summary>
public enum CheckpointFormat { Unknown, PyTorchZip, TorchScriptArchive, PyTorchLegacyPickle, Safetensors }

/// <summary>
/// Reads state dicts from the formats the official SR / IQA code bases publish: zip-format and legacy (pre-1.6)
/// <c>torch.save</c> files (plain dicts, <c>{'state_dict': …}</c> and similar nestings, <c>module.</c> prefixes) and
/// <c>.safetensors</c>. Every failure names the file and the reason instead of surfacing a native crash: zip archives
/// are read with our own restricted reader (<see cref="TorchZipArchive"/>: torch.load's weights_only globals, CRC-32 of
/// every entry, sizes checked before allocation), legacy files with <see cref="LegacyPickle.LegacyTorchCheckpoint"/>, and
/// safetensors headers are checked against the file before TorchSharp reads them.
/// </summary>
public static class Checkpoint
{
    /// <summary>Keys under which training code nests the weights (BasicSR, ResShift/SinSR trainers, timm, …).</summary>
    public static readonly IReadOnlyList<string> NestingKeys = ["state_dict", "params_ema", "params", "model", "net"];

    public static CheckpointFormat DetectFormat(string path)
    {
        using var fs = OpenForRead(path);
        Span<byte> head = stackalloc byte[16];
        int n = fs.ReadAtLeast(head, head.Length, throwOnEndOfStream: false);
        if (n >= 4 && head[0] == (byte)'P' && head[1] == (byte)'K' && head[2] == 3 && head[3] == 4)
        {
            fs.Position = 0;
            try
            {
                using var zip = new ZipArchive(fs, ZipArchiveMode.Read, leaveOpen: true);
                bool script = zip.Entries.Any(e => e.FullName.EndsWith("/constants.pkl", StringComparison.Ordinal)
                                                || e.FullName.Contains("/code/", StringComparison.Ordinal));
                return script ? CheckpointFormat.TorchScriptArchive : CheckpointFormat.PyTorchZip;
            }
            catch (InvalidDataException) { return CheckpointFormat.Unknown; }
        }
        // Legacy torch.save: a pickle (protocol 2: 0x80 0x02) of the magic number 0x1950a86a20f9469cfc6c.
        if (n >= 2 && head[0] == 0x80 && head[1] <= 5) return CheckpointFormat.PyTorchLegacyPickle;
        if (n >= 9)
        {
            ulong headerLen = BitConverter.ToUInt64(head[..8]);
            if (headerLen > 1 && headerLen < (ulong)fs.Length && head[8] == (byte)'{') return CheckpointFormat.Safetensors;
        }
        return CheckpointFormat.Unknown;
    }

    /// <summary>
    /// Loads every tensor of a checkpoint as a flat state dict (CPU). A nesting key (see <see cref="NestingKeys"/>) is
    /// unwrapped when the top level holds it; pass <paramref name="nestedKey"/> to pick one explicitly (dotted for deeper levels).
    /// </summary>
    /// <exception cref="CheckpointFormatException">The file is not a checkpoint we can read; the message names it and the problem.</exception>
    /// <exception cref="FileNotFoundException">No such file.</exception>
    /// <exception cref="UnauthorizedAccessException">The file cannot be opened for reading.</exception>
    public static Dictionary<string, Tensor> LoadStateDict(string path, string? nestedKey = null)
    {
        ArgumentNullException.ThrowIfNull(path);
        try { return LoadStateDictCore(path, nestedKey); }
        catch (Exception e) when (e is not (CheckpointFormatException or FileNotFoundException or DirectoryNotFoundException
                                            or UnauthorizedAccessException or OperationCanceledException))
        {
            // Anything else a crafted file provokes (libtorch refusing a size, arithmetic or cast errors) is still one line.
            throw new CheckpointFormatException($"'{path}': not a readable checkpoint ({e.GetType().Name}: {FirstLine(e.Message)}).", e);
        }
    }

    static string FirstLine(string s) => s.Split('\n', 2)[0].TrimEnd('\r');

    static Dictionary<string, Tensor> LoadStateDictCore(string path, string? nestedKey)
    {
        var format = DetectFormat(path);
        switch (format)
        {
            case CheckpointFormat.Safetensors:
                CheckSafetensorsHeader(path);
                try { return new Dictionary<string, Tensor>(Safetensors.LoadStateDict(path, null), StringComparer.Ordinal); }
                catch (Exception e) { throw new CheckpointFormatException($"'{path}': not a readable safetensors file ({e.Message}).", e); }
            case CheckpointFormat.PyTorchZip:
            {
                using var archive = new TorchZipArchive(path, weightsOnly: true);
                var root = archive.LoadRoot();
                var sd = Flatten(path, root, nestedKey);
                foreach (var t in sd.Values) archive.Detach(t);   // the rest is disposed with the archive
                return sd;
            }
            case CheckpointFormat.TorchScriptArchive:
                throw new CheckpointFormatException($"'{path}' is a TorchScript archive (torch.jit.save); load it with the model's own TorchScript reader.");
            case CheckpointFormat.PyTorchLegacyPickle:
                // Restricted reader: tensors and plain containers only; its errors already name the file.
                return Flatten(path, LegacyPickle.LegacyTorchCheckpoint.Read(path), nestedKey);
            default:
                throw new CheckpointFormatException($"'{path}' is not a checkpoint: expected a PyTorch .pth/.pt (zip) or .safetensors file.");
        }
    }

    // Dicts come as PickleDict from both the zip and the legacy reader; keys may be any pickled value.
    static bool TryGet(object? dict, string key, out object? value)
    {
        if (dict is PickleDict d) return d.TryGet(key, out value);
        value = null;
        return false;
    }

    static IEnumerable<KeyValuePair<object?, object?>> Entries(object dict) => dict is PickleDict d ? d.Items : [];

    static bool IsDict(object? o) => o is PickleDict;

    static Dictionary<string, Tensor> Flatten(string path, object? root, string? nestedKey)
    {
        if (!IsDict(root))
            throw new CheckpointFormatException($"'{path}': holds {DescribeValue(root)}, not a dictionary of tensors.");
        object current = root!;
        if (nestedKey is not null)
        {
            foreach (var part in nestedKey.Split('.'))
            {
                if (!IsDict(current) || !TryGet(current, part, out var next))
                    throw new CheckpointFormatException($"'{path}': no entry '{nestedKey}' (top-level keys: {Keys(root!)}).");
                current = next!;
            }
        }
        else
        {
            foreach (var key in NestingKeys)
                if (TryGet(root, key, out var inner) && IsDict(inner)) { current = inner!; break; }
        }
        if (!IsDict(current))
            throw new CheckpointFormatException($"'{path}': the selected entry is {DescribeValue(current)}, not a dictionary of tensors.");
        var result = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        foreach (var (key, value) in Entries(current))
        {
            // Non-tensor entries (iteration counters, nested optimiser state) are not weights: skip them.
            if (value is not Tensor t) continue;
            if (key is not string name)
                throw new CheckpointFormatException(
                    $"'{path}': a tensor is stored under the key {DescribeKey(key)}, not a parameter name; a state dict maps names (strings) to tensors.");
            result[name] = t;
        }
        if (result.Count == 0)
            throw new CheckpointFormatException($"'{path}': no tensors found (top-level keys: {Keys(root!)}); pass the nesting key that holds the weights.");
        return result;
    }

    static string Keys(object dict)
    {
        var keys = Entries(dict).Select(e => DescribeKey(e.Key)).Take(11).ToList();
        return keys.Count == 0 ? "none" : string.Join(", ", keys.Take(10)) + (keys.Count > 10 ? ", …" : "");
    }

    static string DescribeKey(object? key) => key switch
    {
        string s => $"'{(s.Length > 60 ? s[..60] + "…" : s)}'",
        long or int or double or bool or System.Numerics.BigInteger => $"{key} ({key.GetType().Name.ToLowerInvariant()})",
        byte[] b => $"b'…' (bytes of length {b.Length})",
        object?[] a => $"a tuple of {a.Length}",
        null => "None",
        _ => $"a {key.GetType().Name}",
    };

    static string DescribeValue(object? v) => v switch
    {
        null => "None",
        Tensor => "a single tensor",
        PickleDict => "a dict",
        List<object?> l => $"a list of {l.Count}",
        object?[] a => $"a tuple of {a.Length}",
        PickleObject o => $"an object of {o.Type}",
        _ => $"a {v.GetType().Name}",
    };

    /// <summary>Largest safetensors JSON header accepted (the official format caps it at 100 MB).</summary>
    const long MaxSafetensorsHeader = 100L << 20;

    static readonly Dictionary<string, int> SafetensorsDTypeSizes = new(StringComparer.Ordinal)
    {
        ["F64"] = 8, ["F32"] = 4, ["F16"] = 2, ["BF16"] = 2, ["I64"] = 8, ["I32"] = 4, ["I16"] = 2, ["I8"] = 1, ["U8"] = 1, ["BOOL"] = 1,
        ["U16"] = 2, ["U32"] = 4, ["U64"] = 8, ["F8_E4M3"] = 1, ["F8_E5M2"] = 1,
    };

    /// <summary>Every tensor's dtype, shape and byte range checked against the file before TorchSharp allocates anything.</summary>
    static void CheckSafetensorsHeader(string path)
    {
        using var fs = OpenForRead(path);
        Span<byte> lenBytes = stackalloc byte[8];
        fs.ReadExactly(lenBytes);
        ulong n = BitConverter.ToUInt64(lenBytes);
        long dataLength = fs.Length - 8 - (long)Math.Min(n, (ulong)fs.Length);
        if (n > MaxSafetensorsHeader || dataLength < 0)
            throw new CheckpointFormatException($"'{path}': the safetensors header claims {n} bytes in a file of {fs.Length}.");
        var header = new byte[n];
        fs.ReadExactly(header);
        JsonDocument doc;
        try { doc = JsonDocument.Parse(header); }
        catch (JsonException e) { throw new CheckpointFormatException($"'{path}': the safetensors header is not valid JSON ({e.Message}).", e); }
        using (doc)
        {
            if (doc.RootElement.ValueKind != JsonValueKind.Object)
                throw new CheckpointFormatException($"'{path}': the safetensors header is not a JSON object.");
            foreach (var p in doc.RootElement.EnumerateObject())
            {
                if (p.Name == "__metadata__") continue;
                string Bad(string what) => $"'{path}': safetensors tensor '{p.Name}' {what}.";
                var v = p.Value;
                if (v.ValueKind != JsonValueKind.Object
                    || !v.TryGetProperty("dtype", out var dt) || dt.ValueKind != JsonValueKind.String
                    || !v.TryGetProperty("shape", out var shape) || shape.ValueKind != JsonValueKind.Array
                    || !v.TryGetProperty("data_offsets", out var offs) || offs.ValueKind != JsonValueKind.Array || offs.GetArrayLength() != 2)
                    throw new CheckpointFormatException(Bad("needs 'dtype', 'shape' and two 'data_offsets'"));
                if (!SafetensorsDTypeSizes.TryGetValue(dt.GetString()!, out int size))
                    throw new CheckpointFormatException(Bad($"has the unsupported dtype '{dt.GetString()}'"));
                System.Numerics.BigInteger numel = 1;
                foreach (var d in shape.EnumerateArray())
                {
                    if (d.ValueKind != JsonValueKind.Number || !d.TryGetInt64(out long dim) || dim < 0)
                        throw new CheckpointFormatException(Bad($"has the invalid dimension {d.GetRawText()}"));
                    numel *= dim;
                }
                long begin = offs[0].TryGetInt64(out var b) ? b : -1, end = offs[1].TryGetInt64(out var e2) ? e2 : -1;
                if (begin < 0 || end < begin || end > dataLength)
                    throw new CheckpointFormatException(Bad($"has the byte range [{offs[0].GetRawText()}, {offs[1].GetRawText()}), outside the {dataLength} data bytes"));
                if (numel * size != end - begin)
                    throw new CheckpointFormatException(Bad($"of shape {shape.GetRawText()} ({dt.GetString()}) does not fit its {end - begin} bytes"));
            }
        }
    }

    /// <summary>Removes <paramref name="prefix"/> (e.g. DDP's <c>module.</c>) from every key that has it.</summary>
    public static Dictionary<string, Tensor> StripPrefix(IReadOnlyDictionary<string, Tensor> sd, string prefix) =>
        sd.ToDictionary(kv => kv.Key.StartsWith(prefix, StringComparison.Ordinal) ? kv.Key[prefix.Length..] : kv.Key, kv => kv.Value, StringComparer.Ordinal);

    /// <summary>Keeps only keys under <paramref name="prefix"/>, without the prefix.</summary>
    public static Dictionary<string, Tensor> SelectPrefix(IReadOnlyDictionary<string, Tensor> sd, string prefix) =>
        sd.Where(kv => kv.Key.StartsWith(prefix, StringComparison.Ordinal))
          .ToDictionary(kv => kv.Key[prefix.Length..], kv => kv.Value, StringComparer.Ordinal);

    /// <summary>
    /// Copies a state dict into <paramref name="module"/> (values are cast to each parameter's dtype, as PyTorch's
    /// <c>load_state_dict</c> does). <c>module.</c> prefixes are reconciled as the official <c>reload_model</c> does.
    /// Strict mode throws listing missing, unexpected and wrongly shaped keys (first few of each, with counts).
    /// </summary>
    public static void LoadInto(nn.Module module, IReadOnlyDictionary<string, Tensor> stateDict, bool strict = true, string source = "state dict")
    {
        var target = module.state_dict();
        IReadOnlyDictionary<string, Tensor> sd = stateDict;
        bool targetPrefixed = target.Keys.Any(k => k.StartsWith("module.", StringComparison.Ordinal));
        bool sourcePrefixed = sd.Count > 0 && sd.Keys.All(k => k.StartsWith("module.", StringComparison.Ordinal));
        if (sourcePrefixed && !targetPrefixed) sd = StripPrefix(sd, "module.");

        var missing = target.Keys.Where(k => !sd.ContainsKey(k)).ToList();
        var unexpected = sd.Keys.Where(k => !target.ContainsKey(k)).ToList();
        var badShape = target.Where(kv => sd.TryGetValue(kv.Key, out var s) && !s.shape.SequenceEqual(kv.Value.shape))
                             .Select(kv => $"{kv.Key}: checkpoint [{string.Join(",", sd[kv.Key].shape)}] vs model [{string.Join(",", kv.Value.shape)}]")
                             .ToList();
        if (badShape.Count > 0 || (strict && (missing.Count > 0 || unexpected.Count > 0)))
            throw new CheckpointFormatException(MismatchMessage(source, module.GetName(), missing, unexpected, badShape));

        using var _ = torch.no_grad();
        foreach (var (key, dst) in target)
            if (sd.TryGetValue(key, out var src)) dst.copy_(src);
    }

    static string MismatchMessage(string source, string model, List<string> missing, List<string> unexpected, List<string> badShape)
    {
        static string Part(string what, List<string> items) =>
            items.Count == 0 ? "" : $"\n  {what} ({items.Count}): {string.Join(", ", items.Take(5))}{(items.Count > 5 ? ", …" : "")}";
        return $"{source} does not match {model}:" + Part("missing keys", missing) + Part("unexpected keys", unexpected) + Part("wrong shapes", badShape);
    }

    /// <summary>Loads a checkpoint file straight into a module (see <see cref="LoadStateDict"/> and <see cref="LoadInto"/>).</summary>
    public static void LoadInto(nn.Module module, string path, bool strict = true, string? nestedKey = null)
    {
        var sd = LoadStateDict(path, nestedKey);
        try { LoadInto(module, sd, strict, $"'{path}'"); }
        finally { foreach (var t in sd.Values) t.Dispose(); }
    }

    /// <summary>
    /// Opens a checkpoint for reading after checking that it is a regular file: a FIFO would block and a device such as
    /// <c>/dev/zero</c> would never end.
    /// </summary>
    internal static FileStream OpenForRead(string path)
    {
        if (!File.Exists(path))
        {
            if (Directory.Exists(path)) throw new CheckpointFormatException($"'{path}' is a folder, not a checkpoint file.");
            throw new FileNotFoundException($"Checkpoint file not found: '{path}'.", path);
        }
        if (RegularFile.Check(path) == false)
            throw new CheckpointFormatException($"'{path}' is not a regular file (a FIFO, device or socket); give a checkpoint file.");
        return new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
    }
}
