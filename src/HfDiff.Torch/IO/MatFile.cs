using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;

using HfDiff.Torch.Assets;

namespace HfDiff.Torch.IO;

/// <summary>
/// Reads the numeric variables of a MATLAB MAT-file, level 5 (what <c>save -v6/-v7</c> and scipy's <c>savemat</c> write,
/// including zlib-compressed <c>miCOMPRESSED</c> elements). Real, full numeric arrays of any numeric class are returned as
/// float64 in row-major order; cells, structs, strings, sparse and complex arrays are skipped. Little-endian files only.
/// Format: MathWorks, "MAT-File Format" (matfile_format.pdf), chapter 1. Parameter files are small: files above
/// <see cref="MaxBytes"/> and compressed elements inflating beyond it (in total) are refused while inflating.
/// </summary>
public static class MatFile
{
    const int HeaderSize = 128;
    const int MiInt8 = 1, MiUInt8 = 2, MiInt16 = 3, MiUInt16 = 4, MiInt32 = 5, MiUInt32 = 6, MiSingle = 7, MiDouble = 9,
              MiInt64 = 12, MiUInt64 = 13, MiMatrix = 14, MiCompressed = 15;
    const int MxSparseClass = 5, MxDoubleClass = 6, MxUInt64Class = 15;
    const int ComplexFlag = 0x0800;

    /// <summary>Largest file, and largest total of inflated elements, read (NIQE's parameters are about 11 kB).</summary>
    public const long MaxBytes = 64L << 20;

    /// <summary>Numeric variables by name.</summary>
    public static IReadOnlyDictionary<string, NumericArray> Read(string path)
    {
        var bytes = ParameterFiles.ReadAllBytes(path, "MAT-file", MaxBytes);
        return Parse(bytes, path);
    }

    /// <summary>Parses MAT-file bytes; <paramref name="name"/> is used in error messages.</summary>
    public static IReadOnlyDictionary<string, NumericArray> Parse(byte[] bytes, string name)
    {
        if (bytes.Length < HeaderSize)
            throw new AssetFormatException($"'{name}' is not a MAT-file: {bytes.Length} bytes is shorter than the 128-byte header.");
        string text = Encoding.ASCII.GetString(bytes, 0, 116);
        if (text.StartsWith("MATLAB 7.3", StringComparison.Ordinal))
            throw new AssetFormatException($"'{name}' is a MAT-file v7.3 (HDF5), which is not supported; re-save it with save(..., '-v7').");
        if (!text.StartsWith("MATLAB 5.0", StringComparison.Ordinal))
            throw new AssetFormatException($"'{name}' is not a level-5 MAT-file (header does not start with 'MATLAB 5.0').");
        if (bytes[126] == (byte)'M' && bytes[127] == (byte)'I')
            throw new AssetFormatException($"'{name}' is a big-endian MAT-file, which is not supported.");
        if (bytes[126] != (byte)'I' || bytes[127] != (byte)'M')
            throw new AssetFormatException($"'{name}' has an invalid MAT-file endian indicator.");

        var result = new Dictionary<string, NumericArray>(StringComparer.Ordinal);
        try
        {
            int pos = HeaderSize;
            long inflated = 0;
            while (pos + 8 <= bytes.Length)
            {
                var el = ReadElement(bytes, pos, bytes.Length, name);
                pos = el.Next;
                if (el.Type == MiCompressed)
                {
                    var inner = Inflate(bytes, el.DataOffset, el.Size, name, MaxBytes - inflated);
                    inflated += inner.Length;
                    var innerEl = ReadElement(inner, 0, inner.Length, name);
                    if (innerEl.Type == MiMatrix) AddMatrix(inner, innerEl, name, result);
                }
                else if (el.Type == MiMatrix) AddMatrix(bytes, el, name, result);
            }
        }
        catch (AssetFormatException) { throw; }
        catch (Exception e) when (e is ArgumentException or IndexOutOfRangeException or OverflowException or InvalidDataException)
        {
            throw new AssetFormatException($"'{name}' is a truncated or corrupt MAT-file ({e.Message}).", e);
        }
        return result;
    }

    readonly record struct Element(int Type, int Size, int DataOffset, int Next);

    static Element ReadElement(byte[] b, int pos, int end, string name)
    {
        if (pos + 8 > end) throw new AssetFormatException($"'{name}': truncated MAT-file element tag at byte {pos}.");
        uint first = BinaryPrimitives.ReadUInt32LittleEndian(b.AsSpan(pos));
        if ((first >> 16) != 0)
        {
            // Small data element: type and size share the first word, up to 4 bytes of data follow.
            int size = (int)(first >> 16);
            if (size > 4) throw new AssetFormatException($"'{name}': invalid small data element at byte {pos}.");
            return new Element((int)(first & 0xFFFF), size, pos + 4, pos + 8);
        }
        uint nbytes = BinaryPrimitives.ReadUInt32LittleEndian(b.AsSpan(pos + 4));
        long dataEnd = (long)pos + 8 + nbytes;
        if (dataEnd > end) throw new AssetFormatException($"'{name}': element at byte {pos} claims {nbytes} bytes, past the end of the data.");
        int type = (int)first;
        // Compressed elements are not padded; all others are padded to a multiple of 8 bytes.
        long next = type == MiCompressed ? dataEnd : pos + 8 + ((nbytes + 7L) & ~7L);
        return new Element(type, (int)nbytes, pos + 8, (int)Math.Min(next, end));
    }

    static byte[] Inflate(byte[] b, int offset, int count, string name, long limit)
    {
        try
        {
            using var input = new MemoryStream(b, offset, count, writable: false);
            using var z = new ZLibStream(input, CompressionMode.Decompress);
            using var output = new MemoryStream();
            // Copied in chunks with a running cap: a 4 GB "bomb" stops at the cap instead of exhausting memory.
            var chunk = new byte[81920];
            for (int n; (n = z.Read(chunk)) > 0;)
            {
                if (output.Length + n > limit)
                    throw new AssetFormatException($"'{name}': compressed MAT-file elements inflate to more than {MaxBytes} bytes; a parameter file is far smaller.");
                output.Write(chunk, 0, n);
            }
            return output.ToArray();
        }
        catch (InvalidDataException e)
        {
            throw new AssetFormatException($"'{name}': a compressed MAT-file element does not inflate ({e.Message}).", e);
        }
    }

    static void AddMatrix(byte[] b, Element matrix, string name, Dictionary<string, NumericArray> result)
    {
        int end = matrix.DataOffset + matrix.Size;
        if (matrix.Size == 0) return; // empty placeholder element
        var flagsEl = ReadElement(b, matrix.DataOffset, end, name);
        if (flagsEl.Type != MiUInt32 || flagsEl.Size < 8)
            throw new AssetFormatException($"'{name}': array flags missing in a MAT-file matrix.");
        uint flags = BinaryPrimitives.ReadUInt32LittleEndian(b.AsSpan(flagsEl.DataOffset));
        int mxClass = (int)(flags & 0xFF);
        bool complex = (flags & ComplexFlag) != 0;

        var dimsEl = ReadElement(b, flagsEl.Next, end, name);
        if (dimsEl.Type != MiInt32) throw new AssetFormatException($"'{name}': dimensions missing in a MAT-file matrix.");
        var dims = new int[dimsEl.Size / 4];
        for (int i = 0; i < dims.Length; i++) dims[i] = BinaryPrimitives.ReadInt32LittleEndian(b.AsSpan(dimsEl.DataOffset + 4 * i));

        var nameEl = ReadElement(b, dimsEl.Next, end, name);
        if (nameEl.Type != MiInt8 && nameEl.Type != MiUInt8)
            throw new AssetFormatException($"'{name}': array name missing in a MAT-file matrix.");
        string varName = Encoding.ASCII.GetString(b, nameEl.DataOffset, nameEl.Size).TrimEnd('\0');

        if (mxClass < MxDoubleClass || mxClass > MxUInt64Class || mxClass == MxSparseClass || complex) return; // not a real numeric array
        if (dims.Any(d => d < 0))
            throw new AssetFormatException($"'{name}': variable '{varName}' has negative dimensions [{string.Join("x", dims)}].");
        long count = 1;
        foreach (var d in dims) count = d == 0 || count == 0 ? 0 : count > b.Length / d ? long.MaxValue : count * d;
        var realEl = ReadElement(b, nameEl.Next, end, name);
        var values = ToDoubles(b, realEl, name, varName);
        if (values.LongLength != count)
            throw new AssetFormatException($"'{name}': variable '{varName}' has {values.LongLength} values for dimensions [{string.Join("x", dims)}].");
        // MAT-files store arrays column-major.
        result[varName] = new NumericArray(varName, dims, NumericArray.ColumnMajorToRowMajor(values, dims));
    }

    static double[] ToDoubles(byte[] b, Element el, string name, string varName)
    {
        var s = b.AsSpan(el.DataOffset, el.Size);
        int width = el.Type switch
        {
            MiInt8 or MiUInt8 => 1,
            MiInt16 or MiUInt16 => 2,
            MiInt32 or MiUInt32 or MiSingle => 4,
            MiDouble or MiInt64 or MiUInt64 => 8,
            _ => throw new AssetFormatException($"'{name}': variable '{varName}' stores its data as MAT type {el.Type}, which is not numeric."),
        };
        var v = new double[s.Length / width];
        for (int i = 0; i < v.Length; i++)
        {
            var x = s.Slice(i * width, width);
            v[i] = el.Type switch
            {
                MiInt8 => (sbyte)x[0],
                MiUInt8 => x[0],
                MiInt16 => BinaryPrimitives.ReadInt16LittleEndian(x),
                MiUInt16 => BinaryPrimitives.ReadUInt16LittleEndian(x),
                MiInt32 => BinaryPrimitives.ReadInt32LittleEndian(x),
                MiUInt32 => BinaryPrimitives.ReadUInt32LittleEndian(x),
                MiSingle => BinaryPrimitives.ReadSingleLittleEndian(x),
                MiDouble => BinaryPrimitives.ReadDoubleLittleEndian(x),
                MiInt64 => BinaryPrimitives.ReadInt64LittleEndian(x),
                _ => BinaryPrimitives.ReadUInt64LittleEndian(x),
            };
        }
        return v;
    }
}
