using System.IO.Compression;
using TorchSharp;
using static TorchSharp.torch;

namespace HfDiff.Torch.Weights.TorchScript;

/// <summary>
/// Reads the pickled object of a PyTorch zip archive — both <c>torch.save</c> files and <c>torch.jit.save</c>
/// (TorchScript) archives: <c>&lt;name&gt;/data.pkl</c> is unpickled with <see cref="RestrictedUnpickler"/>,
/// and every persistent id <c>('storage', torch.XStorage, key, location, numel)</c> is read from the entry
/// <c>&lt;name&gt;/data/&lt;key&gt;</c> (little-endian raw bytes) on the CPU. Tensors are rebuilt with their stored
/// dtype, shape, strides and storage offset. No code from the archive is compiled or run.
/// </summary>
public sealed class TorchZipArchive : IDisposable
{
    readonly ZipArchive _zip;
    readonly FileStream _stream;
    readonly string _prefix;
    readonly Dictionary<string, Tensor> _storages = new(StringComparer.Ordinal);
    readonly List<Tensor> _created = [];

    public string Path { get; }
    /// <summary>True when the archive holds TorchScript code (<c>code/</c>, <c>constants.pkl</c>).</summary>
    public bool IsTorchScript { get; }

    public TorchZipArchive(string path)
    {
        Path = path;
        if (!File.Exists(path)) throw new FileNotFoundException($"Checkpoint file not found: '{path}'.", path);
        _stream = File.OpenRead(path);
        try { _zip = new ZipArchive(_stream, ZipArchiveMode.Read, leaveOpen: false); }
        catch (InvalidDataException e)
        {
            _stream.Dispose();
            throw new CheckpointFormatException($"'{path}' is not a PyTorch zip archive ({e.Message}).", e);
        }
        var pkl = _zip.Entries.FirstOrDefault(e => e.FullName.EndsWith("/data.pkl", StringComparison.Ordinal)
                                                && e.FullName.IndexOf('/') == e.FullName.Length - "/data.pkl".Length);
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
        try { bytes = ReadEntry(entry, entry.Length); }
        catch (InvalidDataException e) { throw new CheckpointFormatException($"'{Path}': data.pkl cannot be read ({e.Message}).", e); }

        var unpickler = new RestrictedUnpickler { PersistentLoad = ParseStorageRef };
        unpickler.Reducers[("torch._utils", "_rebuild_tensor_v2")] = RebuildTensor;
        unpickler.Reducers[("torch._utils", "_rebuild_tensor")] = RebuildTensor;
        unpickler.Reducers[("torch._utils", "_rebuild_parameter")] = a => a.Length > 0 ? a[0] : null;
        unpickler.Reducers[("torch._utils", "_rebuild_parameter_with_state")] = a => a.Length > 0 ? a[0] : null;
        try { return unpickler.Load(bytes, $"'{Path}' data.pkl"); }
        catch (InvalidDataException e) { throw new CheckpointFormatException(e.Message, e); }
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
        var flat = Storage(storage);
        long needed = offset + 1;
        for (int i = 0; i < shape.Length; i++) needed += shape[i] == 0 ? 0 : (shape[i] - 1) * strides[i];
        if (shape.Contains(0L)) needed = offset;
        if (needed > storage.Numel)
            throw new CheckpointFormatException($"'{Path}': a tensor of shape [{string.Join(",", shape)}] reaches element {needed} of storage '{storage.Key}', which has {storage.Numel}.");
        var t = flat.as_strided(shape, strides, offset);
        _created.Add(t);
        return t;
    }

    Tensor Storage(PickleStorageRef r)
    {
        if (_storages.TryGetValue(r.Key, out var s)) return s;
        var dtype = DTypeOf(r.StorageType);
        var entryName = _prefix + "data/" + r.Key;
        var entry = _zip.GetEntry(entryName)
            ?? throw new CheckpointFormatException($"'{Path}': data.pkl refers to tensor storage '{entryName}', which is missing from the archive (truncated or damaged file).");
        long bytesNeeded = r.Numel * ElementSize(dtype);
        if (entry.Length < bytesNeeded)
            throw new CheckpointFormatException($"'{Path}': storage entry '{entryName}' has {entry.Length} bytes; its {r.Numel} {r.StorageType} elements need {bytesNeeded}.");
        if (bytesNeeded > Array.MaxLength)
            throw new CheckpointFormatException($"'{Path}': storage entry '{entryName}' is larger than 2 GB, which this reader does not support.");
        byte[] bytes;
        try { bytes = ReadEntry(entry, bytesNeeded); }
        catch (InvalidDataException e) { throw new CheckpointFormatException($"'{Path}': storage entry '{entryName}' cannot be read ({e.Message}).", e); }
        if (!BitConverter.IsLittleEndian)
            throw new PlatformNotSupportedException("Reading PyTorch archives needs a little-endian machine.");
        var t = empty(r.Numel, dtype);
        if (bytesNeeded > 0) t.bytes = bytes;
        _storages[r.Key] = t;
        return t;
    }

    static byte[] ReadEntry(ZipArchiveEntry entry, long count)
    {
        var buffer = new byte[count];
        using var s = entry.Open();
        s.ReadExactly(buffer);
        return buffer;
    }

    static ScalarType DTypeOf(string storageType) => storageType switch
    {
        "DoubleStorage" => ScalarType.Float64,
        "FloatStorage" => ScalarType.Float32,
        "HalfStorage" => ScalarType.Float16,
        "BFloat16Storage" => ScalarType.BFloat16,
        "LongStorage" => ScalarType.Int64,
        "IntStorage" => ScalarType.Int32,
        "ShortStorage" => ScalarType.Int16,
        "CharStorage" => ScalarType.Int8,
        "ByteStorage" => ScalarType.Byte,
        "BoolStorage" => ScalarType.Bool,
        "ComplexFloatStorage" => ScalarType.ComplexFloat32,
        "ComplexDoubleStorage" => ScalarType.ComplexFloat64,
        _ => throw new CheckpointFormatException($"Unsupported tensor storage type '{storageType}'."),
    };

    static long ElementSize(ScalarType t) => t switch
    {
        ScalarType.Float64 or ScalarType.Int64 or ScalarType.ComplexFloat32 => 8,
        ScalarType.Float32 or ScalarType.Int32 => 4,
        ScalarType.Float16 or ScalarType.BFloat16 or ScalarType.Int16 => 2,
        ScalarType.ComplexFloat64 => 16,
        _ => 1,
    };

    static string Describe(object? v) => v switch
    {
        null => "None",
        object?[] a => "(" + string.Join(", ", a.Select(Describe)) + ")",
        string s => $"'{s}'",
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
