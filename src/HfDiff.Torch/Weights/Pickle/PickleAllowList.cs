namespace HfDiff.Torch.Weights.Pickle;

/// <summary>What <see cref="PickleReader"/> does with a GLOBAL that is not on <see cref="PickleAllowList"/>.</summary>
public enum UnlistedGlobals
{
    /// <summary>Refuse the file before the pickle goes on (<c>torch.save</c> files, zip and legacy: tensors and containers only).</summary>
    Refuse,
    /// <summary>Keep the reference as inert data (<see cref="PickleObject"/>): TorchScript archives name their module classes.</summary>
    KeepAsData,
}

/// <summary>
/// The globals a checkpoint pickle may name — torch.load(weights_only=True)'s allowlist without numpy — defined once
/// for every format. Only some of them are interpreted (<see cref="PickleReader"/>: tensor rebuilds, OrderedDict,
/// torch.Size); the rest stay data. Nothing on or off the list is ever looked up as code.
/// </summary>
public static class PickleAllowList
{
    public static bool Contains(PickleGlobal g) => (g.Module, g.Name) switch
    {
        ("collections", "OrderedDict") => true,
        ("torch._utils", "_rebuild_tensor" or "_rebuild_tensor_v2" or "_rebuild_parameter" or "_rebuild_parameter_with_state") => true,
        // torch.FloatStorage etc.: which of them hold data we can read is the storage table's business (TorchStorageTypes).
        ("torch", var n) => n.EndsWith("Storage", StringComparison.Ordinal) || n is "Size" or "device"
            or "float32" or "float" or "float64" or "double" or "float16" or "half" or "bfloat16" or "int64" or "long" or "int32" or "int"
            or "int16" or "short" or "int8" or "uint8" or "bool" or "complex64" or "complex128",
        ("builtins", "set" or "frozenset" or "bytearray") => true,
        _ => false,
    };

    /// <summary>The refusal of a global that is not on the list; <paramref name="source"/> names the file (and entry).</summary>
    public static CheckpointFormatException Refusal(string source, PickleGlobal g) =>
        new($"{source}: refuses to load the class or function '{g}': a checkpoint may only hold tensors, " +
            "(Ordered)dicts, lists, tuples, numbers, strings, bools and None; other objects are never constructed.");
}
