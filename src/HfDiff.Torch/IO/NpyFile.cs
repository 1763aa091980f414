using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;
using System.Text.RegularExpressions;
using HfDiff.Torch.IO;

using HfDiff.Torch.Assets;

namespace HfDiff.Torch.IO;

/// <summary>
/// Reads numpy <c>.npy</c> arrays (format versions 1–3) and <c>.npz</c> archives (zip of <c>.npy</c>, stored or deflated).
/// Little-endian float64/float32/int64/int32 and uint8 arrays, C or Fortran order, are returned as float64 in row-major
/// order. Format: numpy/lib/format.py (NEP 1). Parameter files are small, so files and decompressed entries above
/// <see cref="MaxBytes"/> are refused before they are inflated, and every npz entry's CRC-32 is verified.
/// </summary>
public static partial class NpyFile
{
    static readonly byte[] Magic = [0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y'];

    /// <summary>Largest .npy file, npz archive or decompressed npz entry read (NIQE's parameters are about 11 kB).</summary>
    public const long MaxBytes = 64L << 20;

    /// <summary>All arrays of an .npz archive, by name without the <c>.npy</c> suffix.</summary>
    public static IReadOnlyDictionary<string, NumericArray> ReadNpz(string path)
    {
        var result = new Dictionary<string, NumericArray>(StringComparer.Ordinal);
        try
        {
            using var stream = ParameterFiles.OpenForRead(path, "npz archive");
            using var zip = new ZipArchive(stream, ZipArchiveMode.Read);
            long total = 0;
            foreach (var entry in zip.Entries)
            {
                if (!entry.FullName.EndsWith(".npy", StringComparison.Ordinal)) continue;
                string key = entry.FullName[..^4];
                total += entry.Length;
                if (total > MaxBytes)
                    throw new AssetFormatException($"'{path}': the npz entries claim {total} bytes in total, more than the {MaxBytes} read; a parameter file is far smaller.");
                var bytes = ZipEntries.ReadVerified(entry, MaxBytes, stream.Length);
                result[key] = Parse(bytes, key, $"{path}:{entry.FullName}");
            }
        }
        catch (AssetFormatException) { throw; }
        catch (Exception e) when (e is InvalidDataException or IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            throw new AssetFormatException($"Cannot read npz archive '{path}': {e.Message}", e);
        }
        return result;
    }

    /// <summary>One .npy file.</summary>
    public static NumericArray Read(string path)
    {
        var bytes = ParameterFiles.ReadAllBytes(path, "npy file", MaxBytes);
        return Parse(bytes, Path.GetFileNameWithoutExtension(path), path);
    }

    /// <summary>Parses .npy bytes; <paramref name="source"/> is used in error messages.</summary>
    public static NumericArray Parse(byte[] b, string arrayName, string source)
    {
        ArgumentNullException.ThrowIfNull(b);
        if (b.Length < 10 || !b.AsSpan(0, 6).SequenceEqual(Magic))
            throw new AssetFormatException($"'{source}' is not an npy array (missing \\x93NUMPY magic).");
        int major = b[6];
        long headerLen;
        int headerStart;
        if (major == 1) { headerLen = BinaryPrimitives.ReadUInt16LittleEndian(b.AsSpan(8)); headerStart = 10; }
        else if (major is 2 or 3)
        {
            if (b.Length < 12) throw new AssetFormatException($"'{source}': truncated npy header.");
            headerLen = BinaryPrimitives.ReadUInt32LittleEndian(b.AsSpan(8)); headerStart = 12;
        }
        else throw new AssetFormatException($"'{source}': unsupported npy format version {major}.{b[7]}.");
        if (headerStart + headerLen > b.Length) throw new AssetFormatException($"'{source}': truncated npy header.");
        string header = (major == 3 ? Encoding.UTF8 : Encoding.Latin1).GetString(b, headerStart, (int)headerLen);

        var descr = DescrRegex().Match(header);
        var order = OrderRegex().Match(header);
        var shapeM = ShapeRegex().Match(header);
        if (!descr.Success || !order.Success || !shapeM.Success)
            throw new AssetFormatException($"'{source}': cannot parse the npy header {Shorten(header.Trim())}.");
        string dtype = descr.Groups[1].Value;
        bool fortran = order.Groups[1].Value == "True";
        var shape = ParseShape(shapeM.Groups[1].Value, source);

        int width = dtype switch { "<f8" or "<i8" => 8, "<f4" or "<i4" => 4, "|u1" => 1, _ => 0 };
        if (width == 0)
            throw new AssetFormatException($"'{source}': npy dtype '{Shorten(dtype)}' is not supported (expected little-endian <f8, <f4, <i8, <i4 or |u1).");
        long dataStart = headerStart + headerLen;
        long available = (b.Length - dataStart) / width;
        // The element count is compared with the bytes present dimension by dimension, so it never overflows and
        // nothing is allocated for a shape the file cannot hold.
        long count = 1;
        foreach (var d in shape)
        {
            if (d == 0) { count = 0; break; }
            if (count > available / d)
                throw new AssetFormatException($"'{source}': npy data is truncated ({b.Length - dataStart} bytes for the shape ({string.Join(", ", shape)}) of {dtype}).");
            count *= d;
        }
        if (count > available)
            throw new AssetFormatException($"'{source}': npy data is truncated ({b.Length - dataStart} bytes for {count} values of {dtype}).");
        var v = new double[count];
        var s = b.AsSpan((int)dataStart);
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

    /// <summary>The shape tuple's entries: non-negative integers (Python 2 headers write <c>36L</c>).</summary>
    static int[] ParseShape(string text, string source)
    {
        var parts = text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (parts.Length > 32) throw new AssetFormatException($"'{source}': npy shape has {parts.Length} dimensions; numpy allows 32.");
        var shape = new int[parts.Length];
        for (int i = 0; i < parts.Length; i++)
        {
            var p = parts[i].EndsWith('L') ? parts[i][..^1] : parts[i];
            if (!int.TryParse(p, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out shape[i]))
                throw new AssetFormatException($"'{source}': npy shape entry '{Shorten(parts[i])}' is not a non-negative integer below 2^31.");
        }
        return shape;
    }

    static string Shorten(string s) => s.Length > 80 ? s[..80] + "…" : s;

    [GeneratedRegex(@"'descr'\s*:\s*'([^']*)'")]
    private static partial Regex DescrRegex();
    [GeneratedRegex(@"'fortran_order'\s*:\s*(True|False)")]
    private static partial Regex OrderRegex();
    [GeneratedRegex(@"'shape'\s*:\s*\(([^)]*)\)")]
    private static partial Regex ShapeRegex();
}
