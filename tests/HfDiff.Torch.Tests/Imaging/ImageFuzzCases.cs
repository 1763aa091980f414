using System.Buffers.Binary;
using System.IO.Compression;
using HfDiff.Torch.Imaging.Formats;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats;
using SixLabors.ImageSharp.Formats.Bmp;
using SixLabors.ImageSharp.Formats.Gif;
using SixLabors.ImageSharp.Formats.Jpeg;
using SixLabors.ImageSharp.Formats.Png;
using SixLabors.ImageSharp.Formats.Tga;
using SixLabors.ImageSharp.Formats.Tiff;
using SixLabors.ImageSharp.Formats.Tiff.Constants;
using SixLabors.ImageSharp.Formats.Webp;
using SixLabors.ImageSharp.PixelFormats;
using SixLabors.ImageSharp.Processing.Processors.Quantization;

namespace HfDiff.Torch.Tests.Imaging;

/// <summary>
/// Builds the image files of <see cref="ImageDecodeFuzzTests"/> in memory: valid files from ImageSharp's encoders or
/// small writers of our own (PNG chunks, TIFF IFDs, Netpbm, GIF LZW, animated WebP), then truncated or patched.
/// Nothing is committed as a binary.
/// </summary>
internal static class ImageFuzzCases
{
    public const int W = 64, H = 64;

    /// <summary>Interleaved RGB test pattern: gradients plus a hash so that every row and column differs.</summary>
    public static byte[] Pattern(int w = W, int h = H, int seed = 0)
    {
        var rgb = new byte[w * h * 3];
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
            {
                int i = 3 * (y * w + x);
                rgb[i] = (byte)(x * 255 / Math.Max(1, w - 1));
                rgb[i + 1] = (byte)(y * 255 / Math.Max(1, h - 1));
                rgb[i + 2] = (byte)((x * 31 + y * 17 + seed * 71) ^ (x * y + seed));
            }
        return rgb;
    }

    /// <summary>A 16-colour pattern (exact through GIF's palette).</summary>
    public static byte[] PalettePattern(int seed, int w = W, int h = H)
    {
        var rgb = new byte[w * h * 3];
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
            {
                var c = Palette16[(x / 4 + y / 8 * 3 + seed * 5) & 15];
                rgb[3 * (y * w + x)] = c.R; rgb[3 * (y * w + x) + 1] = c.G; rgb[3 * (y * w + x) + 2] = c.B;
            }
        return rgb;
    }

    public static readonly Rgb24[] Palette16 = Enumerable.Range(0, 16).Select(i => new Rgb24((byte)(i * 16), (byte)(255 - i * 13), (byte)(i * 97 % 256))).ToArray();

    public static byte[] Encode(byte[] rgb, IImageEncoder encoder, int w = W, int h = H)
    {
        using var image = Image.LoadPixelData<Rgb24>(rgb, w, h);
        var ms = new MemoryStream();
        image.Save(ms, encoder);
        return ms.ToArray();
    }

    static readonly byte[] TgaFooter = "TRUEVISION-XFILE.\0"u8.ToArray();

    /// <summary>Valid files of each format (64×64 unless noted), by name; the extension is the part after the last '-'.</summary>
    public static byte[] Valid(string kind)
    {
        var rgb = Pattern();
        byte[] b = kind switch
        {
            "png" => Encode(rgb, new PngEncoder()),
            "png-interlaced" => Encode(rgb, new PngEncoder { InterlaceMethod = PngInterlaceMode.Adam7 }),
            "png-palette" => Encode(PalettePattern(0), new PngEncoder { ColorType = PngColorType.Palette, Quantizer = new PaletteQuantizer(Palette16.Select(c => Color.FromRgb(c.R, c.G, c.B)).ToArray(), new QuantizerOptions { Dither = null }) }),
            "jpeg" => Encode(rgb, new JpegEncoder { Quality = 90 }),
            "gif" => Encode(PalettePattern(0), GifEncoder16()),
            "tiff-none" => Encode(rgb, new TiffEncoder { Compression = TiffCompression.None, BitsPerPixel = TiffBitsPerPixel.Bit24 }),
            "tiff-lzw" => Encode(rgb, new TiffEncoder { Compression = TiffCompression.Lzw, BitsPerPixel = TiffBitsPerPixel.Bit24 }),
            "tiff-deflate" => Encode(rgb, new TiffEncoder { Compression = TiffCompression.Deflate, BitsPerPixel = TiffBitsPerPixel.Bit24 }),
            "tiff-packbits" => Encode(rgb, new TiffEncoder { Compression = TiffCompression.PackBits, BitsPerPixel = TiffBitsPerPixel.Bit24 }),
            "webp-lossless" => Encode(rgb, new WebpEncoder { FileFormat = WebpFileFormatType.Lossless }),
            "webp-lossy" => Encode(rgb, new WebpEncoder { FileFormat = WebpFileFormatType.Lossy, Quality = 90 }),
            "bmp-24" => Encode(rgb, new BmpEncoder { BitsPerPixel = BmpBitsPerPixel.Pixel24 }),
            "bmp-8" => Encode(rgb, new BmpEncoder { BitsPerPixel = BmpBitsPerPixel.Pixel8 }),
            "tga" => Encode(rgb, new TgaEncoder { Compression = TgaCompression.None, BitsPerPixel = TgaBitsPerPixel.Pixel24 }),
            "tga-rle" => Encode(PalettePattern(0), new TgaEncoder { Compression = TgaCompression.RunLength, BitsPerPixel = TgaBitsPerPixel.Pixel24 }),
            "ppm" => Pnm("P6", 3, 255, rgb.Select(v => (int)v).ToArray()),
            "pgm" => Pnm("P5", 1, 255, Enumerable.Range(0, W * H).Select(i => (int)rgb[3 * i + 2]).ToArray()),
            "ppm-16" => Pnm("P6", 3, 65535, Enumerable.Range(0, W * H * 3).Select(i => i * 2654435761u % 65536).Select(v => (int)v).ToArray()),
            "pbm" => Pnm("P4", 1, 1, Enumerable.Range(0, W * H).Select(i => (rgb[3 * i + 2] >> 7) & 1).ToArray()),
            _ => throw new ArgumentException(kind),
        };
        // A TGA 2.0 footer is optional: truncating it loses no pixel, so test truncation of the pixel data itself.
        if (kind.StartsWith("tga") && b.AsSpan().EndsWith(TgaFooter)) b = b[..^26];
        // ImageSharp pads the TIFF to an even length after the last tag value: that byte holds nothing either.
        if (kind.StartsWith("tiff")) b = b[..TiffDataEnd(b)];
        return b;
    }

    /// <summary>End of the last byte a little-endian TIFF's first IFD, its values and its strips use.</summary>
    static int TiffDataEnd(byte[] t)
    {
        int ifd = (int)BinaryPrimitives.ReadUInt32LittleEndian(t.AsSpan(4)), n = BinaryPrimitives.ReadUInt16LittleEndian(t.AsSpan(ifd));
        long end = ifd + 2 + 12 * n + 4;
        uint[] Longs(int e, int type, int count) => Enumerable.Range(0, count).Select(i => type == 3
            ? BinaryPrimitives.ReadUInt16LittleEndian(t.AsSpan(e + 2 * i)) : BinaryPrimitives.ReadUInt32LittleEndian(t.AsSpan(e + 4 * i))).ToArray();
        uint[] offsets = [], counts = [];
        for (int i = 0; i < n; i++)
        {
            int e = ifd + 2 + 12 * i, tag = BinaryPrimitives.ReadUInt16LittleEndian(t.AsSpan(e)), type = BinaryPrimitives.ReadUInt16LittleEndian(t.AsSpan(e + 2));
            int count = (int)BinaryPrimitives.ReadUInt32LittleEndian(t.AsSpan(e + 4));
            int size = type switch { 1 or 2 or 6 or 7 => 1, 3 or 8 => 2, 5 or 10 or 12 => 8, _ => 4 };
            int at = count * size > 4 ? (int)BinaryPrimitives.ReadUInt32LittleEndian(t.AsSpan(e + 8)) : e + 8;
            if (count * size > 4) end = Math.Max(end, at + count * size);
            if (tag == 273) offsets = Longs(at, type, count);
            if (tag == 279) counts = Longs(at, type, count);
        }
        for (int i = 0; i < offsets.Length; i++) end = Math.Max(end, offsets[i] + counts[i]);
        return (int)end;
    }

    public static GifEncoder GifEncoder16() => new()
    {
        Quantizer = new PaletteQuantizer(Palette16.Select(c => Color.FromRgb(c.R, c.G, c.B)).ToArray(), new QuantizerOptions { Dither = null }),
        ColorTableMode = GifColorTableMode.Global,
    };

    public static readonly string[] Kinds =
    [
        "png", "png-interlaced", "png-palette", "jpeg", "gif", "tiff-none", "tiff-lzw", "tiff-deflate", "tiff-packbits",
        "webp-lossless", "webp-lossy", "bmp-24", "bmp-8", "tga", "tga-rle", "ppm", "pgm", "ppm-16", "pbm",
    ];

    // ---------------------------------------------------------------- Netpbm
    public static byte[] Pnm(string magic, int channels, int maxval, int[] samples, int w = W, int h = H)
    {
        var ms = new MemoryStream();
        ms.Write(System.Text.Encoding.ASCII.GetBytes(magic == "P4" ? $"P4\n# fuzz\n{w} {h}\n" : $"{magic}\n# fuzz\n{w} {h}\n{maxval}\n"));
        if (magic == "P4")
        {
            int rowBytes = (w + 7) / 8;
            var bits = new byte[rowBytes * h];
            for (int y = 0; y < h; y++) for (int x = 0; x < w; x++) if (samples[y * w + x] != 0) bits[y * rowBytes + x / 8] |= (byte)(0x80 >> (x % 8));
            ms.Write(bits);
        }
        else foreach (var v in samples) { if (maxval > 255) ms.WriteByte((byte)(v >> 8)); ms.WriteByte((byte)v); }
        return ms.ToArray();
    }

    // ---------------------------------------------------------------- PNG chunks
    public static byte[] Chunk(string type, ReadOnlySpan<byte> data)
    {
        var o = new byte[12 + data.Length];
        BinaryPrimitives.WriteUInt32BigEndian(o, (uint)data.Length);
        System.Text.Encoding.ASCII.GetBytes(type, o.AsSpan(4));
        data.CopyTo(o.AsSpan(8));
        BinaryPrimitives.WriteUInt32BigEndian(o.AsSpan(8 + data.Length), Crc32.Compute(o.AsSpan(4, 4 + data.Length)));
        return o;
    }

    public static byte[] Ihdr(int w, int h, int depth, int colorType)
    {
        var d = new byte[13];
        BinaryPrimitives.WriteUInt32BigEndian(d, (uint)w); BinaryPrimitives.WriteUInt32BigEndian(d.AsSpan(4), (uint)h);
        d[8] = (byte)depth; d[9] = (byte)colorType;
        return Chunk("IHDR", d);
    }

    public static byte[] Zlib(ReadOnlySpan<byte> raw)
    {
        var ms = new MemoryStream();
        using (var z = new ZLibStream(ms, CompressionLevel.Optimal, leaveOpen: true)) z.Write(raw);
        return ms.ToArray();
    }

    public static byte[] Png(params byte[][] chunks) => [.. PngCheck.Signature, .. chunks.SelectMany(c => c), .. Chunk("IEND", [])];

    /// <summary>The chunks of a PNG as (type, data).</summary>
    public static List<(string Type, byte[] Data)> Chunks(byte[] png)
    {
        var list = new List<(string, byte[])>();
        for (int p = 8; p + 12 <= png.Length;)
        {
            int n = (int)BinaryPrimitives.ReadUInt32BigEndian(png.AsSpan(p));
            list.Add((System.Text.Encoding.ASCII.GetString(png, p + 4, 4), png.AsSpan(p + 8, n).ToArray()));
            p += 12 + n;
        }
        return list;
    }

    /// <summary>A zlib stream that inflates to <paramref name="gib"/> GiB of zeros, made of one repeated 1 MiB block.</summary>
    public static byte[] ZlibBomb(int gib)
    {
        var block = new MemoryStream();
        byte[] one;
        using (var deflate = new DeflateStream(block, CompressionLevel.Optimal, leaveOpen: true))
        {
            deflate.Write(new byte[1 << 20]);
            deflate.Flush(); // sync flush: a non-final block, byte-aligned, that refers to nothing before itself
            one = block.ToArray();
        }
        // zlib header, 1024·gib copies, a final empty block, Adler-32 of the zeros.
        int copies = 1024 * gib;
        var o = new MemoryStream();
        o.Write([0x78, 0x9C]);
        for (int i = 0; i < copies; i++) o.Write(one);
        o.Write([0x03, 0x00]); // final fixed-Huffman block holding only end-of-block
        long n = (long)copies << 20;
        uint adler = (uint)((n % 65521) << 16 | 1);
        Span<byte> a = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(a, adler);
        o.Write(a);
        return o.ToArray();
    }

    // ---------------------------------------------------------------- TIFF (little-endian, uncompressed, one strip per page)
    public sealed record TiffPage(int Width, int Height, int Samples, int Photometric, byte[] Data, params (int Tag, int Value)[] Extra);

    /// <summary>Writes pages chained by their next-IFD offsets; returns the file and each IFD's offset.</summary>
    public static (byte[] File, int[] Ifds) Tiff(params TiffPage[] pages)
    {
        var ms = new MemoryStream();
        var bw = new BinaryWriter(ms);
        bw.Write("II*\0"u8); bw.Write(0u);
        var ifds = new int[pages.Length];
        int prevNext = 4;
        for (int p = 0; p < pages.Length; p++)
        {
            var page = pages[p];
            int dataPos = (int)ms.Position;
            bw.Write(page.Data);
            if (ms.Position % 2 == 1) bw.Write((byte)0);
            int bpsPos = (int)ms.Position;
            for (int i = 0; i < page.Samples; i++) bw.Write((ushort)8);
            var tags = new List<(int Tag, int Type, int Count, uint Value)>
            {
                (256, 4, 1, (uint)page.Width), (257, 4, 1, (uint)page.Height),
                (258, 3, page.Samples, page.Samples <= 2 ? 8u | (page.Samples == 2 ? 8u << 16 : 0) : (uint)bpsPos),
                (259, 3, 1, 1), (262, 3, 1, (uint)page.Photometric), (273, 4, 1, (uint)dataPos), (277, 3, 1, (uint)page.Samples),
                (278, 4, 1, (uint)page.Height), (279, 4, 1, (uint)page.Data.Length), (284, 3, 1, 1),
            };
            foreach (var (tag, value) in page.Extra) tags.Add((tag, 3, 1, (uint)value));
            tags.Sort((a, b) => a.Tag.CompareTo(b.Tag));
            ifds[p] = (int)ms.Position;
            long save = ms.Position;
            ms.Position = prevNext; bw.Write((uint)ifds[p]); ms.Position = save;
            bw.Write((ushort)tags.Count);
            foreach (var (tag, type, count, value) in tags) { bw.Write((ushort)tag); bw.Write((ushort)type); bw.Write((uint)count); bw.Write(value); }
            prevNext = (int)ms.Position;
            bw.Write(0u);
        }
        return (ms.ToArray(), ifds);
    }

    // ---------------------------------------------------------------- GIF
    /// <summary>Offset of the first image descriptor (0x2C) of a GIF.</summary>
    public static int FirstImageDescriptor(byte[] gif)
    {
        int packed = gif[10];
        int p = 13 + ((packed & 0x80) != 0 ? 3 * (2 << (packed & 7)) : 0);
        while (gif[p] == 0x21) { p += 2; while (gif[p] != 0) p += gif[p] + 1; p++; }
        return p;
    }

    /// <summary>A 4×4 GIF with a 4-entry table whose LZW data (min code size 8) uses <paramref name="index"/> for every pixel.</summary>
    public static byte[] GifWithIndex(int index)
    {
        var o = new List<byte>();
        o.AddRange("GIF89a"u8.ToArray());
        o.AddRange([4, 0, 4, 0, 0x81, 0, 0]);                          // screen 4×4, global table of 4 entries
        o.AddRange([0, 0, 0, 255, 0, 0, 0, 255, 0, 0, 0, 255]);
        o.AddRange([0x2C, 0, 0, 0, 0, 4, 0, 4, 0, 0]);                 // frame 4×4 at (0,0)
        o.Add(8);                                                       // LZW minimum code size 8: codes of 9 bits
        var codes = new List<int> { 256 };
        for (int i = 0; i < 16; i++) codes.Add(index);
        codes.Add(257);
        var bytes = new List<byte>();
        int acc = 0, bits = 0;
        foreach (var c in codes) { acc |= c << bits; bits += 9; while (bits >= 8) { bytes.Add((byte)acc); acc >>= 8; bits -= 8; } }
        if (bits > 0) bytes.Add((byte)acc);
        o.Add((byte)bytes.Count); o.AddRange(bytes); o.Add(0);
        o.Add(0x3B);
        return o.ToArray();
    }

    // ---------------------------------------------------------------- JPEG
    /// <summary>Offset of the first marker 0xFF <paramref name="marker"/> in the marker stream before the scan.</summary>
    public static int FindMarker(byte[] jpeg, int marker)
    {
        int p = 2;
        while (p + 4 <= jpeg.Length)
        {
            if (jpeg[p + 1] == marker) return p;
            if (jpeg[p + 1] == 0xDA) break;
            p += 2 + BinaryPrimitives.ReadUInt16BigEndian(jpeg.AsSpan(p + 2));
        }
        throw new InvalidOperationException($"marker {marker:X2} not found");
    }

    public static byte[] InsertApp1(byte[] jpeg, byte[] tiff)
    {
        byte[] payload = [.. "Exif\0\0"u8.ToArray(), .. tiff];
        var seg = new byte[4 + payload.Length];
        seg[0] = 0xFF; seg[1] = 0xE1;
        BinaryPrimitives.WriteUInt16BigEndian(seg.AsSpan(2), (ushort)(payload.Length + 2));
        payload.CopyTo(seg, 4);
        return [.. jpeg[..2], .. seg, .. jpeg[2..]];
    }

    /// <summary>Broken EXIF blocks (TIFF structure, little-endian).</summary>
    public static byte[] BadExif(string kind)
    {
        var ms = new MemoryStream();
        var bw = new BinaryWriter(ms);
        bw.Write("II*\0"u8); bw.Write(8u);
        switch (kind)
        {
            case "ifd-loop":          // IFD0 → next IFD = IFD0
                bw.Write((ushort)1); bw.Write((ushort)0x010F); bw.Write((ushort)2); bw.Write(4u); bw.Write(0x00636261u); bw.Write(8u);
                break;
            case "subifd-loop":       // Exif sub-IFD pointer → IFD0
                bw.Write((ushort)2); bw.Write((ushort)0x8769); bw.Write((ushort)4); bw.Write(1u); bw.Write(8u);
                bw.Write((ushort)0x8825); bw.Write((ushort)4); bw.Write(1u); bw.Write(8u); bw.Write(8u);
                break;
            case "huge-count":        // 65,535 entries in a 40-byte block
                bw.Write((ushort)65535); bw.Write((ushort)0x010F); bw.Write((ushort)2); bw.Write(4u); bw.Write(0u);
                break;
            case "huge-values":       // one entry with 2^30 LONG values at offset 8, and a far next IFD
                bw.Write((ushort)1); bw.Write((ushort)0x0111); bw.Write((ushort)4); bw.Write(1u << 30); bw.Write(8u); bw.Write(0x7FFFFFF0u);
                break;
            default: throw new ArgumentException(kind);
        }
        return ms.ToArray();
    }

    // ---------------------------------------------------------------- WebP
    /// <summary>The VP8L payload of a lossless simple WebP.</summary>
    public static byte[] Vp8l(byte[] rgb, int w, int h)
    {
        var webp = Encode(rgb, new WebpEncoder { FileFormat = WebpFileFormatType.Lossless }, w, h);
        if (System.Text.Encoding.ASCII.GetString(webp, 12, 4) != "VP8L") throw new InvalidOperationException("expected a simple lossless WebP");
        int n = (int)BinaryPrimitives.ReadUInt32LittleEndian(webp.AsSpan(16));
        return webp.AsSpan(20, n).ToArray();
    }

    static byte[] RiffChunk(string type, byte[] data)
    {
        var o = new byte[8 + data.Length + (data.Length & 1)];
        System.Text.Encoding.ASCII.GetBytes(type, o);
        BinaryPrimitives.WriteUInt32LittleEndian(o.AsSpan(4), (uint)data.Length);
        data.CopyTo(o, 8);
        return o;
    }

    static byte[] U24(int v) => [(byte)v, (byte)(v >> 8), (byte)(v >> 16)];

    /// <summary>An animated WebP (VP8X + ANIM + one ANMF per frame) on a canvas.</summary>
    public static byte[] AnimatedWebp(int canvasW, int canvasH, params (int X, int Y, int W, int H, byte[] Rgb)[] frames)
    {
        byte[] vp8x = [0x02, 0, 0, 0, .. U24(canvasW - 1), .. U24(canvasH - 1)];
        var body = new List<byte>();
        body.AddRange("WEBP"u8.ToArray());
        body.AddRange(RiffChunk("VP8X", vp8x));
        body.AddRange(RiffChunk("ANIM", [255, 255, 255, 255, 0, 0]));
        foreach (var f in frames)
        {
            byte[] head = [.. U24(f.X / 2), .. U24(f.Y / 2), .. U24(f.W - 1), .. U24(f.H - 1), .. U24(100), 0x02];
            body.AddRange(RiffChunk("ANMF", [.. head, .. RiffChunk("VP8L", Vp8l(f.Rgb, f.W, f.H))]));
        }
        var o = new byte[8 + body.Count];
        "RIFF"u8.CopyTo(o);
        BinaryPrimitives.WriteUInt32LittleEndian(o.AsSpan(4), (uint)body.Count);
        body.CopyTo(o, 8);
        return o;
    }
}
