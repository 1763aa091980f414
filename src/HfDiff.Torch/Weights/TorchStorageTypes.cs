using static TorchSharp.torch;

namespace HfDiff.Torch.Weights;

/// <summary>
/// The typed storage classes a <c>torch.save</c> pickle names in its persistent ids (<c>torch.FloatStorage</c>, …), with
/// the dtype and element size of their raw little-endian bytes. Shared by the zip and the legacy reader.
/// </summary>
internal static class TorchStorageTypes
{
    static readonly Dictionary<string, (ScalarType DType, int ElementSize)> ByName = new(StringComparer.Ordinal)
    {
        ["DoubleStorage"] = (ScalarType.Float64, 8), ["FloatStorage"] = (ScalarType.Float32, 4),
        ["HalfStorage"] = (ScalarType.Float16, 2), ["BFloat16Storage"] = (ScalarType.BFloat16, 2),
        ["LongStorage"] = (ScalarType.Int64, 8), ["IntStorage"] = (ScalarType.Int32, 4),
        ["ShortStorage"] = (ScalarType.Int16, 2), ["CharStorage"] = (ScalarType.Int8, 1),
        ["ByteStorage"] = (ScalarType.Byte, 1), ["BoolStorage"] = (ScalarType.Bool, 1),
        ["ComplexFloatStorage"] = (ScalarType.ComplexFloat32, 8), ["ComplexDoubleStorage"] = (ScalarType.ComplexFloat64, 16),
    };

    /// <param name="name">The class name without its module, e.g. <c>FloatStorage</c>.</param>
    public static bool TryGet(string name, out ScalarType dtype, out int elementSize)
    {
        bool known = ByName.TryGetValue(name, out var info);
        (dtype, elementSize) = info;
        return known;
    }
}
