using HfDiff.Torch.Weights.Pickle;

namespace HfDiff.Torch.Weights.LegacyPickle;

/// <summary>
/// The storages the pickles of one legacy checkpoint name, by key, and the two hooks through which
/// <see cref="PickleReader"/> hands them over: persistent ids become <see cref="LegacyStorageRef"/>s (sizes checked
/// against the file before anything is allocated) and tensor rebuilds become <see cref="PendingTensor"/>s.
/// </summary>
internal sealed class LegacyStorages(string path, long fileBytes)
{
    public Dictionary<string, LegacyStorageRef> ByKey { get; } = new(StringComparer.Ordinal);

    CheckpointFormatException Error(string what) => new($"'{path}': {what}");

    /// <summary><c>('storage', torch.XStorage, key, location, size[, (view_key, offset, view_size)])</c>.</summary>
    public object PersistentLoad(object? pid)
    {
        if (pid is not object?[] t || t.Length < 5 || t[0] is not "storage")
            throw Error($"unsupported persistent id {PickleReader.Describe(pid)}; expected ('storage', type, key, location, size, …).");
        if (t[1] is not PickleGlobal { Module: "torch" } type || !TorchStorageTypes.TryGet(type.Name, out var dtype, out int elementSize))
            throw Error($"unsupported storage type {PickleReader.Describe(t[1])}.");
        if (t[2] is not string key) throw Error("storage key is not a string.");
        string location = t[3] as string ?? "";
        long size = AsLong(t[4], "storage size");
        if (size < 0) throw Error($"storage '{key}' has negative size {size}.");
        // The storage bytes follow the pickles in this file: a size the file cannot hold is refused before any allocation.
        if (size > fileBytes / elementSize)
            throw Error($"storage '{key}' declares {size} elements of {elementSize} bytes, more than the file's {fileBytes} bytes.");
        if (ByKey.TryGetValue(key, out var known))
        {
            if (known.DType != dtype || known.RootSize != size) throw Error($"storage '{key}' is declared twice with different types or sizes.");
        }
        else ByKey[key] = known = new LegacyStorageRef(key, dtype, elementSize, size, 0, size, location);

        object? view = t.Length > 5 ? t[5] : null;
        if (view is null) return known;
        // view_metadata = (view_key, offset, view_size), in elements of the root storage.
        if (view is not object?[] { Length: 3 } v) throw Error($"storage '{key}': malformed view metadata.");
        long offset = AsLong(v[1], "view offset"), viewSize = AsLong(v[2], "view size");
        if (offset < 0 || viewSize < 0 || offset > size || viewSize > size - offset)
            throw Error($"storage '{key}': view of {viewSize} elements at {offset} exceeds its {size} elements.");
        return known with { Offset = offset, Size = viewSize };
    }

    /// <summary><c>_rebuild_tensor(_v2)(storage, offset, size, stride, …)</c>, kept until the storage bytes are read.</summary>
    public object RebuildTensor(object?[] a)
    {
        if (a.Length < 4) throw Error($"_rebuild_tensor_v2 expects (storage, offset, size, stride, …); got {a.Length} arguments.");
        if (a[0] is not LegacyStorageRef storage) throw Error($"_rebuild_tensor_v2: first argument is {PickleReader.Describe(a[0])}, not a storage.");
        return new PendingTensor(storage, AsLong(a[1], "storage_offset"), AsLongs(a[2], "size"), AsLongs(a[3], "stride"));
    }

    long AsLong(object? value, string what) => value switch
    {
        long l => l,
        bool b => b ? 1 : 0,
        _ => throw Error($"{what} is {PickleReader.Describe(value)}, not an integer."),
    };

    long[] AsLongs(object? value, string what) => value switch
    {
        object?[] a => a.Select(x => AsLong(x, what)).ToArray(),
        List<object?> l => l.Select(x => AsLong(x, what)).ToArray(),
        _ => throw Error($"{what} is {PickleReader.Describe(value)}, not a tuple of integers."),
    };
}
