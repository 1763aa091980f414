using System.Buffers.Binary;

namespace HfDiff.Torch.Imaging.Formats;

/// <summary>What kind of problem a check found; it picks the wording of the <see cref="ImageDecodeException"/>.</summary>
internal enum ImageProblem
{
    /// <summary>Data stops early: "truncated or corrupt (image file is truncated: …)".</summary>
    Truncated,
    /// <summary>Inconsistent or malformed structure: "not a readable image (…)".</summary>
    Corrupt,
    /// <summary>Limits and unknown formats: the reason as it is.</summary>
    Plain,
}

/// <summary>A format check failed; <see cref="ImageIO"/> turns it into an <see cref="ImageDecodeException"/>.</summary>
internal sealed class ImageCheckFailure(string reason, ImageProblem problem = ImageProblem.Corrupt) : Exception(reason)
{
    public ImageProblem Problem { get; } = problem;

    /// <summary>The reason as the exception states it (wording shared with the decoder's own failures).</summary>
    public string Describe() => Problem switch
    {
        ImageProblem.Truncated => $"truncated or corrupt (image file is truncated: {Message}).",
        ImageProblem.Corrupt => $"not a readable image ({Message.TrimEnd('.')}).",
        _ => Message,
    };
}

/// <summary>
/// What a format check hands to the decoder: the bytes to decode (the file with the parts we do not need removed,
/// e.g. text chunks, EXIF, later frames), the EXIF orientation found by our own bounded reader, and how to finish.
/// </summary>
internal sealed record PreparedImage(byte[] Data, string Format)
{
    /// <summary>EXIF orientation 1..8 (1 = as stored).</summary>
    public int Orientation { get; init; } = 1;
    /// <summary>The file is CMYK presented to the decoder as RGBA (C, M, Y, K); convert naively to RGB.</summary>
    public bool Cmyk { get; init; }
    /// <summary>Width and height declared by the header (checked against the decoded image).</summary>
    public int Width { get; init; }
    public int Height { get; init; }
    /// <summary>Paste the decoded image at (X, Y) into a black canvas of this size (first frame of an animation).</summary>
    public (int Width, int Height, int X, int Y)? Canvas { get; init; }
    /// <summary>Formats decoded by us (PNM) come back finished.</summary>
    public RgbImage? Decoded { get; init; }
}

/// <summary>Shared state and helpers of the format checks.</summary>
internal sealed class ImageCheck(ImageReadOptions options)
{
    public ImageReadOptions Options { get; } = options;
    public bool AllowTruncated => Options.AllowTruncated;

    public static ImageCheckFailure Fail(string reason) => new(reason);

    /// <summary>Limits and unknown formats, stated as they are.</summary>
    public static ImageCheckFailure Plain(string reason) => new(reason, ImageProblem.Plain);

    /// <summary>Short data that cannot be decoded even with <see cref="ImageReadOptions.AllowTruncated"/>.</summary>
    public static ImageCheckFailure TruncatedFail(string what) => new(what, ImageProblem.Truncated);

    /// <summary>Short data: refused unless <see cref="ImageReadOptions.AllowTruncated"/>.</summary>
    public void Truncated(string what)
    {
        if (!AllowTruncated) throw new ImageCheckFailure($"{what}; ImageReadOptions.AllowTruncated decodes it anyway", ImageProblem.Truncated);
    }

    /// <summary>Pixel and memory budget, checked from the header before any pixel data is touched.</summary>
    public void CheckBudget(long width, long height, double sourceBytesPerPixel, int decodeBytesPerPixel)
    {
        if (width <= 0 || height <= 0) throw Fail($"invalid dimensions {width}×{height}.");
        long pixels = width * height;
        if (pixels > Options.MaxPixels)
            throw Plain($"{width}×{height} = {pixels:N0} pixels exceeds the limit of {Options.MaxPixels:N0} (ImageReadOptions.MaxPixels).");
        double bytes = pixels * (Math.Max(1, Math.Ceiling(sourceBytesPerPixel)) + decodeBytesPerPixel + 12.0);
        if (bytes > Options.MaxDecodedBytes)
            throw Plain($"{width}×{height} at {sourceBytesPerPixel * 8:0} bits per pixel needs about {bytes / (1 << 20):N0} MiB to decode, over the limit of {Options.MaxDecodedBytes / (1 << 20):N0} MiB (ImageReadOptions.MaxDecodedBytes).");
    }

    public static ushort U16(ReadOnlySpan<byte> d, int pos, bool little) =>
        little ? BinaryPrimitives.ReadUInt16LittleEndian(d[pos..]) : BinaryPrimitives.ReadUInt16BigEndian(d[pos..]);
    public static uint U32(ReadOnlySpan<byte> d, int pos, bool little) =>
        little ? BinaryPrimitives.ReadUInt32LittleEndian(d[pos..]) : BinaryPrimitives.ReadUInt32BigEndian(d[pos..]);
    public static int U24Le(ReadOnlySpan<byte> d, int pos) => d[pos] | d[pos + 1] << 8 | d[pos + 2] << 16;
}

/// <summary>CRC-32 (ISO-HDLC, as in PNG and zlib).</summary>
internal static class Crc32
{
    static readonly uint[] Table = MakeTable();

    static uint[] MakeTable()
    {
        var t = new uint[256];
        for (uint n = 0; n < 256; n++)
        {
            uint c = n;
            for (int k = 0; k < 8; k++) c = (c & 1) != 0 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
            t[n] = c;
        }
        return t;
    }

    public static uint Compute(ReadOnlySpan<byte> data, uint crc = 0)
    {
        crc = ~crc;
        foreach (var b in data) crc = Table[(crc ^ b) & 0xff] ^ (crc >> 8);
        return ~crc;
    }
}

/// <summary>
/// Reads only the orientation tag (0x0112) from IFD0 of a TIFF-structured EXIF block, bounds-checked and without
/// following any pointer, so looping or oversized EXIF structures cannot hurt: anything unreadable means "as stored".
/// </summary>
internal static class ExifOrientation
{
    public static int Read(ReadOnlySpan<byte> exif)
    {
        if (exif.Length >= 6 && exif[..6].SequenceEqual("Exif\0\0"u8)) exif = exif[6..];
        if (exif.Length < 8) return 1;
        bool little;
        if (exif[0] == 'I' && exif[1] == 'I') little = true;
        else if (exif[0] == 'M' && exif[1] == 'M') little = false;
        else return 1;
        if (ImageCheck.U16(exif, 2, little) != 42) return 1;
        uint ifd = ImageCheck.U32(exif, 4, little);
        if (ifd < 8 || ifd > exif.Length - 2) return 1;
        int n = ImageCheck.U16(exif, (int)ifd, little);
        for (int i = 0; i < n; i++)
        {
            long e = ifd + 2 + 12L * i;
            if (e + 12 > exif.Length) return 1;
            if (ImageCheck.U16(exif, (int)e, little) != 0x0112) continue;
            if (ImageCheck.U16(exif, (int)e + 2, little) != 3 || ImageCheck.U32(exif, (int)e + 4, little) != 1) return 1;
            int v = ImageCheck.U16(exif, (int)e + 8, little);
            return v is >= 1 and <= 8 ? v : 1;
        }
        return 1;
    }
}
