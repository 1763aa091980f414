using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;
using System.Text.RegularExpressions;

namespace HfDiff.Torch.Assets;

/// <summary>
/// Reads numpy <c>.npy</c> arrays (format versions 1–3) and <c>.npz</c> archives (zip of <c>.npy</c>, stored or deflated).
/// Little-endian float64/float32/int64/int32 and uint8 arrays, C or Fortran order, are returned as float64 in row-major
/// order. Format: numpy/lib/format.py (NEP 1).
/// </summary>
public static partial class NpyFile
{
    static readonly byte[] Magic = [0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y'];

    /// <summary>All arrays of an .npz archive, by name without the <c>.npy</c> suffix.</summary>
    public static IReadOnlyDictionary<string, NumericArray> ReadNpz(string path)
    {
        var result = new Dictionary<string, NumericArray>(StringComparer.Ordinal);
        try
        {
            using var zip = ZipFile.OpenRead(path);
            foreach (var entry in zip.Entries)
            {
                if (!entry.FullName.EndsWith(".npy", StringComparison.Ordinal)) continue;
                string key = entry.FullName[..^4];
                using var s = entry.Open();
                using var ms = new MemoryStream();
                s.CopyTo(ms);
                result[key] = Parse(ms.ToArray(), key, $"{path}:{entry.FullName}");
            }
        }
        catch (AssetFormatException) { throw; }
        catch (Exception e) when (e is InvalidDataException or IOException or UnauthorizedAccessException)
        {
            throw new AssetFormatException($"Cannot read npz archive '{path}': {e.Message}", e);
        }
        return result;
    }

    /// <summary>One .npy file.</summary>
    public static NumericArray Read(string path)
    {
        byte[] bytes;
        try { bytes = File.ReadAllBytes(path); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new AssetFormatException($"Cannot read npy file '{path}': {e.Message}", e);
        }
        return Parse(bytes, Path.GetFileNameWithoutExtension(path), path);
    }

    /// <summary>Parses .npy bytes; <paramref name="source"/> is used in error messages.</summary>
    public static NumericArray Parse(byte[] b, string arrayName, string source)
    {
        if (b.Length < 10 || !b.AsSpan(0, 6).SequenceEqual(Magic))
            throw new AssetFormatException($"'{source}' is not an npy array (missing \\x93NUMPY magic).");
        int major = b[6];
        int headerLen, headerStart;
        if (major == 1) { headerLen = BinaryPrimitives.ReadUInt16LittleEndian(b.AsSpan(8)); headerStart = 10; }
        else if (major is 2 or 3)
        {
            if (b.Length < 12) throw new AssetFormatException($"'{source}': truncated npy header.");
            headerLen = checked((int)BinaryPrimitives.ReadUInt32LittleEndian(b.AsSpan(8))); headerStart = 12;
        }
        else throw new AssetFormatException($"'{source}': unsupported npy format version {major}.{b[7]}.");
        if (headerStart + headerLen > b.Length) throw new AssetFormatException($"'{source}': truncated npy header.");
        string header = (major == 3 ? Encoding.UTF8 : Encoding.Latin1).GetString(b, headerStart, headerLen);

        var descr = DescrRegex().Match(header);
        var order = OrderRegex().Match(header);
        var shapeM = ShapeRegex().Match(header);
        if (!descr.Success || !order.Success || !shapeM.Success)
            throw new AssetFormatException($"'{source}': cannot parse the npy header {header.Trim()}.");
        string dtype = descr.Groups[1].Value;
        bool fortran = order.Groups[1].Value == "True";
        var shape = shapeM.Groups[1].Value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
                          .Select(int.Parse).ToArray();
        long count = 1;
        foreach (var d in shape) count *= d;

        int width = dtype switch { "<f8" or "<i8" => 8, "<f4" or "<i4" => 4, "|u1" => 1, _ => 0 };
        if (width == 0)
            throw new AssetFormatException($"'{source}': npy dtype '{dtype}' is not supported (expected little-endian <f8, <f4, <i8, <i4 or |u1).");
        int dataStart = headerStart + headerLen;
        if (dataStart + count * width > b.Length)
            throw new AssetFormatException($"'{source}': npy data is truncated ({b.Length - dataStart} bytes for {count} values of {dtype}).");
        var v = new double[count];
        var s = b.AsSpan(dataStart);
        for (int i = 0; i < count; i++)
        {
            var x = s.Slice(i * width, width);
            v[i] = dtype switch
            {
                "<f8" => BinaryPrimitives.ReadDoubleLittleEndian(x),
                "<f4" => BinaryPrimitives.ReadSingleLittleEndian(x),
                "<i8" => BinaryPrimitives.ReadInt64LittleEndian(x),
                "<i4" => BinaryPrimitives.ReadInt32LittleEndian(x),
                _ => x[0],
            };
        }
        return new NumericArray(arrayName, shape, fortran ? NumericArray.ColumnMajorToRowMajor(v, shape) : v);
    }

    [GeneratedRegex(@"'descr'\s*:\s*'([^']*)'")]
    private static partial Regex DescrRegex();
    [GeneratedRegex(@"'fortran_order'\s*:\s*(True|False)")]
    private static partial Regex OrderRegex();
    [GeneratedRegex(@"'shape'\s*:\s*\(([^)]*)\)")]
    private static partial Regex ShapeRegex();
}
