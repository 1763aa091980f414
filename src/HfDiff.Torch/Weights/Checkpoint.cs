using System.Collections;
using System.IO.Compression;
using TorchSharp;
using TorchSharp.PyBridge;
using static TorchSharp.torch;

namespace HfDiff.Torch.Weights;

/// <summary>On-disk formats we recognise by their first bytes.</summary>
public enum CheckpointFormat { Unknown, PyTorchZip, TorchScriptArchive, PyTorchLegacyPickle, Safetensors }

/// <summary>
/// Reads state dicts from the formats the official SR / IQA code bases publish: zip-format and legacy (pre-1.6)
/// <c>torch.save</c> files (plain dicts, <c>{'state_dict': …}</c> and similar nestings, <c>module.</c> prefixes) and
/// <c>.safetensors</c>. Every failure names the file and the reason instead of surfacing a native crash.
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
    public static Dictionary<string, Tensor> LoadStateDict(string path, string? nestedKey = null)
    {
        var format = DetectFormat(path);
        switch (format)
        {
            case CheckpointFormat.Safetensors:
                try { return new Dictionary<string, Tensor>(Safetensors.LoadStateDict(path, null), StringComparer.Ordinal); }
                catch (Exception e) { throw new CheckpointFormatException($"'{path}': not a readable safetensors file ({e.Message}).", e); }
            case CheckpointFormat.PyTorchZip:
                Hashtable table;
                try { table = PyTorchUnpickler.UnpickleStateDict(path); }
                catch (Exception e) { throw new CheckpointFormatException($"'{path}': not a readable PyTorch checkpoint ({e.Message}).", e); }
                return Flatten(path, table, nestedKey);
            case CheckpointFormat.TorchScriptArchive:
                throw new CheckpointFormatException($"'{path}' is a TorchScript archive (torch.jit.save); load it with the model's own TorchScript reader.");
            case CheckpointFormat.PyTorchLegacyPickle:
                // Restricted reader: tensors and plain containers only; its errors already name the file.
                return Flatten(path, LegacyPickle.LegacyTorchCheckpoint.Read(path), nestedKey);
            default:
                throw new CheckpointFormatException($"'{path}' is not a checkpoint: expected a PyTorch .pth/.pt (zip) or .safetensors file.");
        }
    }

    static Dictionary<string, Tensor> Flatten(string path, Hashtable table, string? nestedKey)
    {
        object current = table;
        if (nestedKey is not null)
        {
            foreach (var part in nestedKey.Split('.'))
            {
                if (current is not Hashtable h || !h.ContainsKey(part))
                    throw new CheckpointFormatException($"'{path}': no entry '{nestedKey}' (top-level keys: {Keys(table)}).");
                current = h[part]!;
            }
        }
        else
        {
            foreach (var key in NestingKeys)
                if (table.ContainsKey(key) && table[key] is Hashtable inner) { current = inner; break; }
        }
        if (current is not Hashtable dict)
            throw new CheckpointFormatException($"'{path}': the selected entry is not a dictionary of tensors.");
        var result = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        foreach (DictionaryEntry e in dict)
        {
            if (e.Value is Tensor t) result[(string)e.Key] = t;
            // Non-tensor entries (iteration counters, nested optimiser state) are not weights: skip them.
        }
        if (result.Count == 0)
            throw new CheckpointFormatException($"'{path}': no tensors found (top-level keys: {Keys(table)}); pass the nesting key that holds the weights.");
        return result;
    }

    static string Keys(Hashtable h) => string.Join(", ", h.Keys.Cast<object>().Select(k => $"'{k}'").Take(10));

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

    static FileStream OpenForRead(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"Checkpoint file not found: '{path}'.", path);
        return File.OpenRead(path);
    }
}
