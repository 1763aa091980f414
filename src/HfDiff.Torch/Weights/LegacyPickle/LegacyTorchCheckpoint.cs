using System.Numerics;
using HfDiff.Torch.Weights.Pickle;
using TorchSharp;
using static TorchSharp.torch;

namespace HfDiff.Torch.Weights.LegacyPickle;

/// <summary>
/// Reads PyTorch's legacy (pre-1.6, non-zip) <c>torch.save</c> format, in which e.g. the official LPIPS
/// <c>weights/v0.1/*.pth</c> are published. Layout (torch/serialization.py <c>_legacy_save</c>): five consecutive
/// pickles — magic number 0x1950a86a20f9469cfc6c, protocol version 1001, sys_info dict (endianness, type sizes), the
/// object itself (storages as persistent ids), the list of storage keys — then, for each key in that list, an int64
/// element count followed by the raw little-endian storage bytes.
/// Only tensors and plain containers are built (the pickles are read with <see cref="PickleReader"/>, unlisted globals
/// refused); every problem is a <see cref="CheckpointFormatException"/> naming the file.
/// </summary>
public static class LegacyTorchCheckpoint
{
    static readonly BigInteger MagicNumber = BigInteger.Parse("119547037146038801333356"); // 0x1950a86a20f9469cfc6c
    const long ProtocolVersion = 1001;

    /// <summary>
    /// Loads the object a legacy checkpoint holds; it must be a dict (state dicts and <c>{'state_dict': …}</c>
    /// nestings are). Dicts are <see cref="PickleDict"/>s, lists <c>List&lt;object?&gt;</c>, tuples <c>object?[]</c>,
    /// tensors CPU <see cref="Tensor"/>s owning their memory (the caller disposes them).
    /// </summary>
    public static PickleDict Read(string path)
    {
        using var stream = Checkpoint.OpenForRead(path);
        using var reader = new BinaryReader(stream);
        var storages = new LegacyStorages(path, stream.Length);
        // One reader for the five consecutive pickles: each Load stops right after its STOP opcode.
        var unpickler = new PickleReader(stream, $"'{path}'", UnlistedGlobals.Refuse)
        {
            PersistentLoad = storages.PersistentLoad,
            RebuildTensor = storages.RebuildTensor,
        };
        string stage = "the magic number";
        try
        {
            if (unpickler.Load() is not BigInteger magic || magic != MagicNumber)
                throw new CheckpointFormatException($"'{path}': not a legacy PyTorch checkpoint (magic number missing).");
            stage = "the protocol version";
            if (unpickler.Load() is not long version || version != ProtocolVersion)
                throw new CheckpointFormatException($"'{path}': unsupported legacy protocol version (expected {ProtocolVersion}).");
            stage = "sys_info";
            if (unpickler.Load() is PickleDict sysInfo && sysInfo.TryGet("little_endian", out var little) && little is false)
                throw new CheckpointFormatException($"'{path}': was written on a big-endian machine, which is not supported.");
            stage = "the object pickle";
            var root = unpickler.Load();
            if (root is not PickleDict dict)
                throw new CheckpointFormatException($"'{path}': holds {PickleReader.Describe(root)}, not a dictionary of tensors.");
            stage = "the storage key list";
            if (unpickler.Load() is not List<object?> keys || keys.Any(k => k is not string))
                throw new CheckpointFormatException($"'{path}': malformed storage key list.");
            stage = "the storage data";
            var data = ReadStorages(path, reader, keys.Cast<string>().ToList(), storages.ByKey);
            Materialize(path, dict, data);
            return dict;
        }
        catch (EndOfStreamException e)
        {
            throw new CheckpointFormatException($"'{path}': truncated legacy PyTorch checkpoint (file ends inside {stage}).", e);
        }
        catch (Exception e) when (e is FormatException or OverflowException or InvalidCastException or ArgumentException or IndexOutOfRangeException)
        {
            throw new CheckpointFormatException($"'{path}': malformed legacy PyTorch checkpoint in {stage} ({e.Message}).", e);
        }
    }

    static Dictionary<string, byte[]> ReadStorages(string path, BinaryReader reader, List<string> keys, Dictionary<string, LegacyStorageRef> storages)
    {
        var data = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        foreach (var key in keys)
        {
            if (!storages.TryGetValue(key, out var storage))
                throw new CheckpointFormatException($"'{path}': storage '{key}' is listed but no tensor uses it.");
            long count = reader.ReadInt64();
            if (count != storage.RootSize)
                throw new CheckpointFormatException($"'{path}': storage '{key}' has {count} elements on disk, {storage.RootSize} in the pickle.");
            // RootSize was checked against the file's length when the pickle named it, so this cannot overflow.
            long bytes = count * storage.ElementSize;
            if (bytes > Array.MaxLength) throw new CheckpointFormatException($"'{path}': storage '{key}' is larger than 2 GB, which is not supported.");
            if (bytes > reader.BaseStream.Length - reader.BaseStream.Position) throw new EndOfStreamException();
            var buffer = reader.ReadBytes((int)bytes);
            if (buffer.Length != bytes) throw new EndOfStreamException();
            data[key] = buffer;
        }
        var missing = storages.Keys.Where(k => !data.ContainsKey(k)).ToList();
        if (missing.Count > 0) throw new CheckpointFormatException($"'{path}': storage '{missing[0]}' is used but has no data.");
        return data;
    }

    // Iterative, with a visited set: a crafted pickle may nest containers a million levels deep or make them cyclic (memo).
    static void Materialize(string path, object? root, Dictionary<string, byte[]> data)
    {
        var visited = new HashSet<object>(ReferenceEqualityComparer.Instance);
        var pending = new Stack<object?>();
        pending.Push(root);
        while (pending.Count > 0)
        {
            var node = pending.Pop();
            if (node is null || !visited.Add(node)) continue;
            switch (node)
            {
                case PickleDict d:
                    foreach (var (key, value) in d.Items.ToList())
                        if (value is PendingTensor p) d.Set(key, Rebuild(path, $"{key}", p, data));
                        else pending.Push(value);
                    break;
                case List<object?> l:
                    for (int i = 0; i < l.Count; i++)
                        if (l[i] is PendingTensor p) l[i] = Rebuild(path, $"[{i}]", p, data);
                        else pending.Push(l[i]);
                    break;
                case object?[] a:
                    for (int i = 0; i < a.Length; i++)
                        if (a[i] is PendingTensor p) a[i] = Rebuild(path, $"[{i}]", p, data);
                        else pending.Push(a[i]);
                    break;
            }
        }
    }

    /// <summary><c>storage.as_strided(size, stride, offset)</c>, copied into a tensor that owns its memory.</summary>
    static Tensor Rebuild(string path, string name, PendingTensor p, Dictionary<string, byte[]> data)
    {
        var s = p.Storage;
        if (name.Length > 60) name = name[..60] + "…";
        TorchScript.TorchZipArchive.CheckView(path, $"the view of storage '{s.Key}' used by tensor '{name}'", s.Size, p.StorageOffset, p.Shape, p.Stride);
        using var flat = torch.empty([s.RootSize], s.DType);
        if (s.RootSize > 0) flat.bytes = data[s.Key];
        using var view = flat.as_strided(p.Shape, p.Stride, s.Offset + p.StorageOffset);
        return view.clone();
    }
}
