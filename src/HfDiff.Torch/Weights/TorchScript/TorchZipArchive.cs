using System.IO.Compression;
using HfDiff.Torch.IO;
using HfDiff.Torch.Weights.Pickle;
using TorchSharp;
using static TorchSharp.torch;

namespace HfDiff.Torch.Weights.TorchScript;

/// <summary>
/// Reads the pickled object of a PyTorch zip archive — both <c>torch.save</c> files and <c>torch.jit.save</c>
/// (TorchScript) archives: <c>&lt;name&gt;/data.pkl</c> is unpickled with <see cref="PickleReader"/>,
/// and every persistent id <c>('storage', torch.XStorage, key, location, numel)</c> is read from the entry
/// <c>&lt;name&gt;/data/&lt;key&gt;</c> (little-endian raw bytes) on the CPU. Tensors are rebuilt with their stored
/// dtype, shape, strides and storage offset. No code from the archive is compiled or run.
/// Every entry read is checked before allocation (declared sizes against the file and the tensor records) and its
/// CRC-32 verified, so a damaged file is refused instead of loading different numbers.
/// </summary>
public sealed class TorchZipArchive : IDisposable
{
    readonly ZipArchive _zip;
    readonly FileStream _stream;
    readonly string _prefix;
    readonly Dictionary<string, Tensor> _storages = new(StringComparer.Ordinal);
    readonly List<Tensor> _created = [];
    readonly bool _weightsOnly;

    public string Path { get; }
    /// <summary>True when the archive holds TorchScript code (<c>code/</c>, <c>constants.pkl</c>).</summary>
    public bool IsTorchScript { get; }

    /// <summary>Largest <c>data.pkl</c> accepted (the pickle of a state dict is kilobytes to a few megabytes).</summary>
    public const long MaxPickleBytes = 256L << 20;

    /// <param name="weightsOnly">Refuse every global outside <see cref="PickleAllowList"/> (torch.save state dicts and
    /// tensors); false keeps other class references as data (TorchScript module trees).</param>
    public TorchZipArchive(string path, bool weightsOnly = false)
    {
        Path = path;
        _weightsOnly = weightsOnly;
        _stream = Checkpoint.OpenForRead(path);
        ZipArchiveEntry? pkl;
        try
        {
            _zip = new ZipArchive(_stream, ZipArchiveMode.Read, leaveOpen: false);
            pkl = _zip.Entries.FirstOrDefault(e => e.FullName.EndsWith("/data.pkl", StringComparison.Ordinal)
                                               && e.FullName.IndexOf('/') == e.FullName.Length - "/data.pkl".Length);
        }
        catch (Exception e) when (e is InvalidDataException or IOException or ArgumentException or NotSupportedException)
        {
            _zip?.Dispose();
            _stream.Dispose();
            throw new CheckpointFormatException($"'{path}' is not a readable PyTorch zip archive ({e.Message}).", e);
        }
        if (pkl is null)
        {
            Dispose();
            throw new CheckpointFormatException($"'{path}' is a zip file but not a PyTorch archive: no '<name>/data.pkl' entry.");
        }
        _prefix = pkl.FullName[..^"data.pkl".Length];
        IsTorchScript = _zip.GetEntry(_prefix + "constants.pkl") is not null
                     || _zip.Entries.Any(e => e.FullName.StartsWith(_prefix + "code/", StringComparison.Ordinal));
    }

    /// <summary>
    /// Unpickles <c>data.pkl</c>. Tensors in the result are owned by this archive until <see cref="Detach"/> is called
    /// for them; the rest are disposed with the archive.
    /// </summary>
    public object? LoadRoot()
    {
        var entry = _zip.GetEntry(_prefix + "data.pkl")!;
        byte[] bytes;
        try { bytes = ZipEntries.ReadVerified(entry, MaxPickleBytes, _stream.Length); }
        catch (InvalidDataException e) { throw new CheckpointFormatException($"'{Path}': data.pkl cannot be read: {e.Message}", e); }

        using var input = new MemoryStream(bytes, writable: false);
        var reader = new PickleReader(input, $"'{Path}' data.pkl", _weightsOnly ? UnlistedGlobals.Refuse : UnlistedGlobals.KeepAsData)
        {
            PersistentLoad = ParseStorageRef,
            RebuildTensor = RebuildTensor,
        };
        try { return reader.Load(); }
        catch (EndOfStreamException e) { throw new CheckpointFormatException($"'{Path}' data.pkl: pickle data ends unexpectedly (truncated file).", e); }
        catch (Exception e) when (e is FormatException or OverflowException or InvalidCastException or ArgumentException or IndexOutOfRangeException)
        {
            throw new CheckpointFormatException($"'{Path}' data.pkl: malformed pickle ({e.Message}).", e);
        }
    }

    /// <summary>Hands ownership of <paramref name="t"/> to the caller (it survives <see cref="Dispose"/>).</summary>
    public Tensor Detach(Tensor t)
    {
        _created.Remove(t);
        return t;
    }

    object? ParseStorageRef(object? pid)
    {
        if (pid is not object?[] { Length: >= 5 } a || a[0] is not "storage")
            throw new CheckpointFormatException($"'{Path}': unsupported persistent id in data.pkl ({Describe(pid)}); expected ('storage', type, key, location, numel).");
        var type = a[1] switch
        {
            PickleGlobal g => g.Name,
            string s => s,
            _ => throw new CheckpointFormatException($"'{Path}': storage type {Describe(a[1])} is not a torch storage class."),
        };
        if (a[2] is not string key || a[4] is not long numel)
            throw new CheckpointFormatException($"'{Path}': malformed storage reference {Describe(pid)}.");
        return new PickleStorageRef(type, key, a[3] as string ?? "cpu", numel);
    }

    object? RebuildTensor(object?[] args)
    {
        if (args.Length < 4 || args[0] is not PickleStorageRef storage || args[1] is not long offset
            || args[2] is not object?[] size || args[3] is not object?[] stride)
            throw new CheckpointFormatException($"'{Path}': malformed tensor record in data.pkl.");
        var shape = size.Select(v => v is long l ? l : throw new CheckpointFormatException($"'{Path}': non-integer tensor size.")).ToArray();
        var strides = stride.Select(v => v is long l ? l : throw new CheckpointFormatException($"'{Path}': non-integer tensor stride.")).ToArray();
        CheckView(Path, $"storage '{storage.Key}'", storage.Numel, offset, shape, strides);
        var flat = Storage(storage);
        var t = flat.as_strided(shape, strides, offset);
        _created.Add(t);
        return t;
    }

    /// <summary>
    /// Checks a tensor record <c>storage.as_strided(shape, strides, offset)</c> against the storage's element count
    /// before anything is allocated: non-negative values, no arithmetic overflow, every element inside the storage, and
    /// no more elements than the storage holds unless strides repeat them (at most 2^31 then).
    /// </summary>
    internal static void CheckView(string path, string what, long storageNumel, long offset, long[] shape, long[] strides)
    {
        string Shape() => $"[{string.Join(",", shape)}]";
        if (shape.Length != strides.Length)
            throw new CheckpointFormatException($"'{path}': a tensor of shape {Shape()} has {strides.Length} strides.");
        if (storageNumel < 0)
            throw new CheckpointFormatException($"'{path}': {what} has a negative element count {storageNumel}.");
        if (offset < 0 || shape.Any(d => d < 0) || strides.Any(d => d < 0))
            throw new CheckpointFormatException($"'{path}': a tensor of shape {Shape()} over {what} has a negative size, stride or offset.");
        try
        {
            long numel = 1, last = offset;
            bool empty = shape.Contains(0L);
            for (int i = 0; i < shape.Length; i++)
            {
                numel = checked(numel * shape[i]);
                if (!empty) last = checked(last + (shape[i] - 1) * strides[i]);
            }
            long needed = empty ? offset : checked(last + 1);
            if (needed > storageNumel)
                throw new CheckpointFormatException($"'{path}': a tensor of shape {Shape()} reaches element {needed} of {what}, which has {storageNumel}.");
            if (numel > storageNumel && numel > int.MaxValue)
                throw new CheckpointFormatException($"'{path}': a tensor of shape {Shape()} repeats the {storageNumel} elements of {what} into {numel}.");
        }
        catch (OverflowException)
        {
            throw new CheckpointFormatException($"'{path}': a tensor of shape {Shape()} with strides [{string.Join(",", strides)}] over {what} overflows 64-bit sizes.");
        }
    }

    Tensor Storage(PickleStorageRef r)
    {
        if (_storages.TryGetValue(r.Key, out var s)) return s;
        if (!TorchStorageTypes.TryGet(r.StorageType, out var dtype, out int elementSize))
            throw new CheckpointFormatException($"'{Path}': unsupported tensor storage type '{r.StorageType}'.");
        var entryName = _prefix + "data/" + r.Key;
        var entry = _zip.GetEntry(entryName)
            ?? throw new CheckpointFormatException($"'{Path}': data.pkl refers to tensor storage '{entryName}', which is missing from the archive (truncated or damaged file).");
        if (r.Numel < 0) throw new CheckpointFormatException($"'{Path}': storage '{entryName}' has a negative element count {r.Numel}.");
        if (r.Numel > Array.MaxLength / elementSize)
            throw new CheckpointFormatException($"'{Path}': storage entry '{entryName}' declares {r.Numel} {r.StorageType} elements, more than 2 GB, which this reader does not support.");
        long bytesNeeded = r.Numel * elementSize;
        if (entry.Length != bytesNeeded)
            throw new CheckpointFormatException($"'{Path}': storage entry '{entryName}' has {entry.Length} bytes; its {r.Numel} {r.StorageType} elements need {bytesNeeded} (truncated or damaged file).");
        byte[] bytes;
        try { bytes = ZipEntries.ReadVerified(entry, bytesNeeded, _stream.Length); }
        catch (InvalidDataException e) { throw new CheckpointFormatException($"'{Path}': storage entry '{entryName}' cannot be read: {e.Message}", e); }
        if (!BitConverter.IsLittleEndian)
            throw new PlatformNotSupportedException("Reading PyTorch archives needs a little-endian machine.");
        var t = empty(r.Numel, dtype);
        if (bytesNeeded > 0) t.bytes = bytes;
        _storages[r.Key] = t;
        return t;
    }

    static string Describe(object? v, int depth = 0) => v switch
    {
        null => "None",
        object?[] when depth >= 3 => "(…)",
        object?[] a => "(" + string.Join(", ", a.Take(6).Select(x => Describe(x, depth + 1))) + (a.Length > 6 ? ", …" : "") + ")",
        string s => $"'{(s.Length > 60 ? s[..60] + "…" : s)}'",
        _ => v.ToString() ?? "?",
    };

    public void Dispose()
    {
        foreach (var t in _created) t.Dispose();
        _created.Clear();
        foreach (var t in _storages.Values) t.Dispose();   // views keep their memory alive through libtorch's refcount
        _storages.Clear();
        _zip?.Dispose();
        _stream.Dispose();
    }
}
