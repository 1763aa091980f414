using System.Buffers.Binary;
using HfDiff.Torch.Imaging;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats.Png;
using SixLabors.ImageSharp.PixelFormats;
using static HfDiff.Torch.Tests.Imaging.ImageFuzzCases;

namespace HfDiff.Torch.Tests.Imaging;

/// <summary>
/// Issue #16 ("no silent wrong answers", images) and the image items of #13: truncated and inconsistent files are
/// refused with the file named, valid but unusual files decode to the reference pixels, malformed files never crash.
/// Every file is generated here (see <see cref="ImageFuzzCases"/>). Set HFDIFF_FUZZ_DUMP=DIR to also write the valid
/// special cases there for a reference decode with Pillow.
/// </summary>
[TestClass]
public class ImageDecodeFuzzTests
{
    static ImageDecodeException Refused(byte[] bytes, string name, ImageReadOptions? options = null, string? what = null)
    {
        var e = Assert.ThrowsExactly<ImageDecodeException>(() => ImageIO.Decode(bytes, name, options), what ?? name);
        StringAssert.Contains(e.Message, $"'{name}'");
        Assert.IsFalse(e.Message.Contains('\n'), "one line: " + e.Message);
        return e;
    }

    static void Dump(string name, byte[] bytes)
    {
        var dir = Environment.GetEnvironmentVariable("HFDIFF_FUZZ_DUMP");
        if (string.IsNullOrEmpty(dir)) return;
        Directory.CreateDirectory(dir);
        File.WriteAllBytes(Path.Combine(dir, name), bytes);
        // Our decode as 8-bit interleaved RGB (W×H in the name) beside it, for the comparison with Pillow.
        var img = ImageIO.Decode(bytes, name);
        var (rgb, w, h) = ImageIO.ToRgb24(TorchSharp.torch.tensor(img.Planar, [3, img.Height, img.Width]));
        File.WriteAllBytes(Path.Combine(dir, $"{name}.{w}x{h}.ours.rgb"), rgb);
    }

    /// <summary>Asserts planar RGB equals interleaved 8-bit RGB exactly (u8/255).</summary>
    static void AssertPixels(byte[] rgb, int w, int h, RgbImage img, string what)
    {
        Assert.AreEqual(w, img.Width, what); Assert.AreEqual(h, img.Height, what);
        int plane = w * h;
        for (int i = 0; i < plane; i++)
            for (int c = 0; c < 3; c++)
                if (img.Planar[c * plane + i] != rgb[3 * i + c] / 255f)
                    Assert.Fail($"{what}: pixel ({i % w},{i / w}) channel {c}: {img.Planar[c * plane + i] * 255} != {rgb[3 * i + c]}");
    }

    static byte[] Rgb24Of(byte[] encoded)
    {
        using var im = Image.Load<Rgb24>(encoded);
        var px = new byte[im.Width * im.Height * 3];
        im.CopyPixelDataTo(px);
        return px;
    }

    // ------------------------------------------------------------------ truncation

    [TestMethod]
    [DynamicData(nameof(KindRows))]
    public void Decode_TruncatedFile_RefusedNamingFile(string kind)
    {
        var full = Valid(kind);
        var name = $"/data/cut/{kind}.img";
        ImageIO.Decode(full, name); // the whole file is fine
        var cuts = Enumerable.Range(1, 48).Select(k => full.Length - k)
            .Concat(Enumerable.Range(1, 31).Select(k => (int)((long)full.Length * k / 32)))
            .Where(n => n > 0).Distinct();
        foreach (var n in cuts) Refused(full[..n], name, what: $"{kind} cut to {n} of {full.Length} bytes");
    }

    public static IEnumerable<object[]> KindRows => Kinds.Select(k => new object[] { k });

    [TestMethod]
    public void Decode_TruncatedWithAllowTruncated_DecodesFullSize()
    {
        var allow = new ImageReadOptions { AllowTruncated = true };
        foreach (var kind in new[] { "png", "jpeg", "gif", "bmp-24", "ppm", "webp-lossless" })
        {
            var full = Valid(kind);
            var img = ImageIO.Decode(full[..^(full.Length / 8)], kind, allow);
            Assert.AreEqual(W, img.Width, kind); Assert.AreEqual(H, img.Height, kind);
        }
        // Structural errors stay refused.
        var png = Valid("png");
        Refused(InsertAfterIhdr(png, Ihdr(4096, 4096, 8, 2)), "second-ihdr.png", allow);
    }

    [TestMethod]
    public void Read_TruncatedFile_MessageNamesPathOnOneLine()
    {
        var path = Path.Combine(Path.GetTempPath(), $"hfdiff-fuzz-{Guid.NewGuid():N}.jpg");
        var full = Valid("jpeg");
        File.WriteAllBytes(path, full[..^1]);
        try
        {
            var e = Assert.ThrowsExactly<ImageDecodeException>(() => ImageIO.Read(path));
            StringAssert.Contains(e.Message, path);
            StringAssert.Contains(e.Message, "truncated");
            Assert.AreEqual(path, e.FilePath);
        }
        finally { File.Delete(path); }
    }

    // ------------------------------------------------------------------ inconsistent or malformed

    static byte[] InsertAfterIhdr(byte[] png, byte[] chunk) => [.. png[..33], .. chunk, .. png[33..]];

    static byte[] Patch(byte[] b, int pos, params byte[] values) { var c = (byte[])b.Clone(); values.CopyTo(c, pos); return c; }

    static byte[] Le32(uint v) { var b = new byte[4]; BinaryPrimitives.WriteUInt32LittleEndian(b, v); return b; }
    static byte[] Le16(int v) => [(byte)v, (byte)(v >> 8)];
    static byte[] Be16(int v) => [(byte)(v >> 8), (byte)v];

    /// <summary>Each case: the file and a fragment the refusal must contain.</summary>
    static (byte[] File, string Expect) Inconsistent(string name)
    {
        switch (name)
        {
            case "png-idat-half-rows":
            {
                var raw = new byte[H / 2 * (1 + 3 * W)];
                return (Png(Ihdr(W, H, 8, 2), Chunk("IDAT", Zlib(raw))), "truncated");
            }
            case "png-idat-extra-rows":
            {
                var raw = new byte[2 * H * (1 + 3 * W)];
                return (Png(Ihdr(W, H, 8, 2), Chunk("IDAT", Zlib(raw))), "more than");
            }
            case "png-second-ihdr-4096":
                return (InsertAfterIhdr(Valid("png"), Ihdr(4096, 4096, 8, 2)), "more than one IHDR");
            case "png-palette-index-past-palette":
            {
                var raw = new byte[4 * 5];
                raw[1 + 5 + 2] = 200;
                return (Png(Ihdr(4, 4, 8, 3), Chunk("PLTE", new byte[12]), Chunk("IDAT", Zlib(raw))), "palette index 200");
            }
            case "png-bad-crc":
            {
                var png = Valid("png");
                return (Patch(png, 29, (byte)(png[29] ^ 1)), "CRC");
            }
            case "png-16bit-rgba-8192-over-byte-budget":
                return (Png(Ihdr(8192, 8192, 16, 6), Chunk("IDAT", Zlib(new byte[16]))), "MaxDecodedBytes");
            case "png-over-pixel-limit":
                return (Png(Ihdr(100000, 100000, 8, 2), Chunk("IDAT", Zlib(new byte[16]))), "MaxPixels");
            case "tiff-strip-offset-past-end":
            {
                var (tiff, ifds) = Tiff(new TiffPage(W, H, 3, 2, Pattern()));
                int n = BinaryPrimitives.ReadUInt16LittleEndian(tiff.AsSpan(ifds[0]));
                for (int i = 0; i < n; i++)
                {
                    int e = ifds[0] + 2 + 12 * i;
                    if (BinaryPrimitives.ReadUInt16LittleEndian(tiff.AsSpan(e)) == 273) return (Patch(tiff, e + 8, Le32((uint)tiff.Length + 1000)), "past the end");
                }
                throw new InvalidOperationException();
            }
            case "tiff-65535-ifd-entries":
            {
                var (tiff, ifds) = Tiff(new TiffPage(W, H, 3, 2, Pattern()));
                return (Patch(tiff, ifds[0], Le16(65535)), "65,535");
            }
            case "tiff-short-uncompressed-strip":
            {
                var (tiff, ifds) = Tiff(new TiffPage(W, H, 3, 2, Pattern()));
                int n = BinaryPrimitives.ReadUInt16LittleEndian(tiff.AsSpan(ifds[0]));
                for (int i = 0; i < n; i++)
                {
                    int e = ifds[0] + 2 + 12 * i;
                    if (BinaryPrimitives.ReadUInt16LittleEndian(tiff.AsSpan(e)) == 279) return (Patch(tiff, e + 8, Le32(100)), "truncated");
                }
                throw new InvalidOperationException();
            }
            case "ppm-100-of-12288-bytes":
                return (Valid("ppm")[..(Valid("ppm").Length - W * H * 3 + 100)], "100 of 12,288");
            case "ppm-6000x6000-over-few-bytes":
                return ([.. "P6\n6000 6000\n255\n"u8.ToArray(), .. new byte[10]], "10 of 108,000,000");
            case "tiff-deflate-8000x8000-over-few-bytes":
            {
                var tiff = Valid("tiff-deflate");
                int ifd = (int)BinaryPrimitives.ReadUInt32LittleEndian(tiff.AsSpan(4)), n = BinaryPrimitives.ReadUInt16LittleEndian(tiff.AsSpan(ifd));
                for (int i = 0; i < n; i++)
                {
                    int e = ifd + 2 + 12 * i, tag = BinaryPrimitives.ReadUInt16LittleEndian(tiff.AsSpan(e));
                    if (tag is 256 or 257 or 278) tiff = Patch(tiff, e + 8, Le32(8000));
                }
                return (tiff, "cannot hold");
            }
            case "ppm-maxval-0":
                return ([.. "P6\n64 64\n0\n"u8.ToArray(), .. new byte[W * H * 3]], "maxval 0");
            case "pgm-sample-over-maxval":
                return (Pnm("P5", 1, 100, Enumerable.Range(0, W * H).Select(i => i % 200).ToArray()), "exceeds maxval");
            case "tga-rle-stops-early":
            {
                var tga = Valid("tga-rle");
                return (tga[..(18 + (tga.Length - 18) / 3)], "truncated");
            }
            case "tga-index-past-colour-map":
            {
                byte[] head = [0, 1, 1, 0, 0, 4, 0, 24, 0, 0, 0, 0, 4, 0, 4, 0, 8, 0x20];
                var pixels = new byte[16]; pixels[5] = 200;
                return ([.. head, .. new byte[12], .. pixels], "colour index 200");
            }
            case "bmp-index-past-palette":
                return (Patch(Valid("bmp-8"), 46, Le32(4)), "beyond the 4-entry");
            case "bmp-bpp-0":
                return (Patch(Valid("bmp-24"), 28, Le16(0)), "bits per pixel 0");
            case "bmp-bpp-7":
                return (Patch(Valid("bmp-24"), 28, Le16(7)), "bits per pixel 7");
            case "bmp-huge-colours-used":
                return (Patch(Valid("bmp-8"), 46, Le32(0x7FFFFFFF)), "colours used");
            case "bmp-huge-colours-used-24":
                return (Patch(Valid("bmp-24"), 46, Le32(0x7FFFFFFF)), "colour table");
            case "gif-index-past-table":
                return (GifWithIndex(200), "colour index 200");
            case "gif-frame-60000-in-64-screen":
            {
                var gif = Valid("gif");
                int d = FirstImageDescriptor(gif);
                return (Patch(gif, d + 5, [.. Le16(60000), .. Le16(60000)]), "outside the 64×64 screen");
            }
            case "gif-lzw-code-size-0": return (GifCodeSize(0), "code size 0");
            case "gif-lzw-code-size-1": return (GifCodeSize(1), "code size 1");
            case "gif-lzw-code-size-9": return (GifCodeSize(9), "code size 9");
            case "gif-lzw-code-size-12": return (GifCodeSize(12), "code size 12");
            case "jpeg-12-bit-over-8-bit-data":
            {
                var jpeg = Valid("jpeg");
                return (Patch(jpeg, FindMarker(jpeg, 0xC0) + 4, 12), "12-bit");
            }
            case "jpeg-8000x8000-over-few-bytes":
            {
                var jpeg = Valid("jpeg");
                return (Patch(jpeg, FindMarker(jpeg, 0xC0) + 5, [.. Be16(8000), .. Be16(8000)]), "cannot hold");
            }
            case "jpeg-no-scan-data":
            {
                var jpeg = Valid("jpeg");
                return ([.. jpeg[..FindMarker(jpeg, 0xDA)], 0xFF, 0xD9], "no scan data");
            }
            case "webp-riff-size-past-end":
            {
                var webp = Valid("webp-lossless");
                return (Patch(webp, 4, Le32((uint)webp.Length + 100)), "RIFF");
            }
            default: throw new ArgumentException(name);
        }
    }

    static byte[] GifCodeSize(int size)
    {
        var gif = Valid("gif");
        int d = FirstImageDescriptor(gif);
        int lct = (gif[d + 9] & 0x80) != 0 ? 3 * (2 << (gif[d + 9] & 7)) : 0;
        return Patch(gif, d + 10 + lct, (byte)size);
    }

    public static IEnumerable<object[]> InconsistentRows =>
    [
        ["png-idat-half-rows"], ["png-idat-extra-rows"], ["png-second-ihdr-4096"], ["png-palette-index-past-palette"], ["png-bad-crc"],
        ["png-16bit-rgba-8192-over-byte-budget"], ["png-over-pixel-limit"],
        ["tiff-strip-offset-past-end"], ["tiff-65535-ifd-entries"], ["tiff-short-uncompressed-strip"],
        ["ppm-100-of-12288-bytes"], ["ppm-6000x6000-over-few-bytes"], ["tiff-deflate-8000x8000-over-few-bytes"], ["ppm-maxval-0"], ["pgm-sample-over-maxval"],
        ["tga-rle-stops-early"], ["tga-index-past-colour-map"],
        ["bmp-index-past-palette"], ["bmp-bpp-0"], ["bmp-bpp-7"], ["bmp-huge-colours-used"], ["bmp-huge-colours-used-24"],
        ["gif-index-past-table"], ["gif-frame-60000-in-64-screen"], ["gif-lzw-code-size-0"], ["gif-lzw-code-size-1"], ["gif-lzw-code-size-9"], ["gif-lzw-code-size-12"],
        ["jpeg-12-bit-over-8-bit-data"], ["jpeg-8000x8000-over-few-bytes"], ["jpeg-no-scan-data"],
        ["webp-riff-size-past-end"],
    ];

    [TestMethod]
    [DynamicData(nameof(InconsistentRows))]
    public void Decode_InconsistentFile_RefusedNamingFileAndProblem(string name)
    {
        var (file, expect) = Inconsistent(name);
        var e = Refused(file, "/data/bad/" + name);
        StringAssert.Contains(e.Message, expect);
    }

    // ------------------------------------------------------------------ valid but unusual files

    [TestMethod]
    public void Decode_CmykTiff_NaiveConversionWithinOneLevel()
    {
        // Tolerance: Pillow's cmyk2rgb computes (255−K) − MULDIV255(C, 255−K) in integers; the naive float formula
        // 255·(1−C/255)·(1−K/255) differs from it by rounding only, so at most 1/255.
        var cmyk = new byte[W * H * 4];
        for (int i = 0; i < cmyk.Length; i++) cmyk[i] = (byte)((i * 53 + i / 256 * 7) & 0xff);
        var (tiff, _) = Tiff(new TiffPage(W, H, 4, 5, cmyk, (332, 1)));
        Dump("cmyk.tif", tiff);
        var img = ImageIO.Decode(tiff, "cmyk.tif");
        Assert.AreEqual(8, img.BitDepth);
        int plane = W * H;
        double worst = 0;
        for (int i = 0; i < plane; i++)
            for (int c = 0; c < 3; c++)
            {
                double expected = (1 - cmyk[4 * i + c] / 255.0) * (1 - cmyk[4 * i + 3] / 255.0);
                worst = Math.Max(worst, Math.Abs(img.Planar[c * plane + i] - expected));
            }
        Assert.IsTrue(worst <= 1 / 255.0 + 1e-6, $"max |Δ| = {worst * 255:F3}/255");
    }

    [TestMethod]
    public void Decode_AnimatedWebp_FirstFrame()
    {
        byte[] a = Pattern(seed: 1), b = Pattern(seed: 2);
        var webp = AnimatedWebp(W, H, (0, 0, W, H, a), (0, 0, W, H, b));
        Dump("animated.webp", webp);
        AssertPixels(a, W, H, ImageIO.Decode(webp, "animated.webp"), "animated.webp");
    }

    [TestMethod]
    public void Decode_AnimatedWebpFrameAtOffset_PlacedOnBlackCanvas()
    {
        byte[] small = Pattern(20, 10, seed: 3);
        var webp = AnimatedWebp(W, H, (4, 6, 20, 10, small), (0, 0, W, H, Pattern(seed: 4)));
        Dump("animated-offset.webp", webp);
        var expected = new byte[W * H * 3];
        for (int y = 0; y < 10; y++) Array.Copy(small, 3 * y * 20, expected, 3 * ((6 + y) * W + 4), 60);
        AssertPixels(expected, W, H, ImageIO.Decode(webp, "animated-offset.webp"), "animated-offset.webp");
    }

    [TestMethod]
    public void Decode_AnimatedGif_FirstFrame()
    {
        byte[] a = PalettePattern(1), b = PalettePattern(2);
        using var image = Image.LoadPixelData<Rgb24>(a, W, H);
        using var second = Image.LoadPixelData<Rgb24>(b, W, H);
        image.Frames.AddFrame(second.Frames.RootFrame);
        var ms = new MemoryStream();
        image.Save(ms, GifEncoder16());
        var gif = ms.ToArray();
        Dump("animated.gif", gif);
        AssertPixels(a, W, H, ImageIO.Decode(gif, "animated.gif"), "animated.gif");
    }

    [TestMethod]
    public void Decode_MultiPageTiff_FirstPage()
    {
        byte[] a = Pattern(seed: 5), b = Pattern(seed: 6);
        var (tiff, _) = Tiff(new TiffPage(W, H, 3, 2, a), new TiffPage(W, H, 3, 2, b));
        Dump("two-pages.tif", tiff);
        AssertPixels(a, W, H, ImageIO.Decode(tiff, "two-pages.tif"), "two-pages.tif");
    }

    [TestMethod]
    public void Decode_TiffOrientation6_RotatedClockwise()
    {
        const int w = 24, h = 10;
        var rgb = Pattern(w, h, seed: 7);
        var (tiff, _) = Tiff(new TiffPage(w, h, 3, 2, rgb, (274, 6)));
        Dump("orientation6.tif", tiff);
        // Orientation 6: the stored image is shown rotated 90° clockwise: shown (x', y') = stored (y', h−1−x').
        var expected = new byte[w * h * 3];
        for (int y = 0; y < w; y++)
            for (int x = 0; x < h; x++)
                for (int c = 0; c < 3; c++) expected[3 * (y * h + x) + c] = rgb[3 * ((h - 1 - x) * w + y) + c];
        AssertPixels(expected, h, w, ImageIO.Decode(tiff, "orientation6.tif"), "orientation6.tif");
        AssertPixels(rgb, w, h, ImageIO.Decode(tiff, "orientation6.tif", new ImageReadOptions { ApplyExifOrientation = false }), "as stored");
    }

    [TestMethod]
    public void Decode_PngExifOrientation8_RotatedCounterClockwise()
    {
        const int w = 24, h = 10;
        var rgb = Pattern(w, h, seed: 8);
        var chunks = Chunks(Encode(rgb, new PngEncoder(), w, h));
        byte[] exif = [.. "II*\0"u8.ToArray(), 8, 0, 0, 0, 1, 0, 0x12, 0x01, 3, 0, 1, 0, 0, 0, 8, 0, 0, 0, 0, 0, 0, 0, 0, 0];
        var png = Png([.. chunks.Where(c => c.Type == "IHDR").Select(c => Chunk(c.Type, c.Data)), Chunk("eXIf", exif),
                       .. chunks.Where(c => c.Type == "IDAT").Select(c => Chunk(c.Type, c.Data))]);
        // Orientation 8: shown (x', y') = stored (w−1−y', x').
        var expected = new byte[w * h * 3];
        for (int y = 0; y < w; y++)
            for (int x = 0; x < h; x++)
                for (int c = 0; c < 3; c++) expected[3 * (y * h + x) + c] = rgb[3 * (x * w + (w - 1 - y)) + c];
        AssertPixels(expected, h, w, ImageIO.Decode(png, "orientation8.png"), "orientation8.png");
    }

    [TestMethod]
    [DataRow("P6", 3, 65535)]
    [DataRow("P5", 1, 65535)]
    [DataRow("P6", 3, 1000)]
    public void Decode_DeepPnm_ExactSamples(string magic, int channels, int maxval)
    {
        var samples = Enumerable.Range(0, W * H * channels).Select(i => (int)((uint)i * 2654435761u % (uint)(maxval + 1))).ToArray();
        var file = Pnm(magic, channels, maxval, samples);
        Dump($"deep-{magic}-{maxval}.pnm", file);
        var img = ImageIO.Decode(file, "deep.ppm");
        Assert.AreEqual(16, img.BitDepth);
        int plane = W * H;
        for (int i = 0; i < plane; i++)
            for (int c = 0; c < 3; c++)
                Assert.AreEqual(samples[i * channels + (channels == 3 ? c : 0)] / (float)maxval, img.Planar[c * plane + i], $"pixel {i} channel {c}");
    }

    [TestMethod]
    public void Decode_PngWithGigabyteCompressedTextChunk_PixelsExact()
    {
        var rgb = Pattern();
        var chunks = Chunks(Encode(rgb, new PngEncoder()));
        byte[] ztxt = [.. "Comment"u8.ToArray(), 0, 0, .. ZlibBomb(1)];
        var png = Png([.. chunks.Where(c => c.Type == "IHDR").Select(c => Chunk(c.Type, c.Data)),
                       Chunk("zTXt", ztxt), Chunk("iTXt", [.. "XML"u8.ToArray(), 0, 1, 0, 0, 0, .. ZlibBomb(1)]),
                       .. chunks.Where(c => c.Type == "IDAT").Select(c => Chunk(c.Type, c.Data))]);
        AssertPixels(rgb, W, H, ImageIO.Decode(png, "bomb.png"), "bomb.png");
    }

    [TestMethod]
    public void Decode_PngWithOneByteIdatChunks_PixelsExact()
    {
        var rgb = Pattern();
        var chunks = Chunks(Encode(rgb, new PngEncoder()));
        var idat = chunks.Where(c => c.Type == "IDAT").SelectMany(c => c.Data).ToArray();
        var png = Png([.. chunks.Where(c => c.Type == "IHDR").Select(c => Chunk(c.Type, c.Data)),
                       .. idat.Select(b => Chunk("IDAT", [b]))]);
        Dump("one-byte-idat.png", png);
        AssertPixels(rgb, W, H, ImageIO.Decode(png, "one-byte-idat.png"), "one-byte-idat.png");
    }

    [TestMethod]
    [DataRow("ifd-loop")]
    [DataRow("subifd-loop")]
    [DataRow("huge-count")]
    [DataRow("huge-values")]
    public void Decode_JpegWithBrokenExif_SamePixelsAsWithoutExif(string kind)
    {
        var jpeg = Valid("jpeg");
        var bad = InsertApp1(jpeg, BadExif(kind));
        Dump($"exif-{kind}.jpg", bad);
        AssertPixels(Rgb24Of(jpeg), W, H, ImageIO.Decode(bad, $"exif-{kind}.jpg"), kind);
    }

    [TestMethod]
    [DynamicData(nameof(KindRows))]
    public void Decode_ValidFile_EqualsImageSharpOrSource(string kind)
    {
        var file = Valid(kind);
        Dump("valid-" + kind, file);
        var img = ImageIO.Decode(file, kind);
        if (kind.StartsWith("p")) return; // Netpbm: Decode_DeepPnm_ExactSamples and the truncation tests
        AssertPixels(Rgb24Of(file), W, H, img, kind);
    }

    // ------------------------------------------------------------------ never crash

    /// <summary>
    /// Seeded mutations of every valid file (byte flips, 16-bit field overwrites, cuts, duplicated spans): decoding
    /// either succeeds or throws <see cref="ImageDecodeException"/> — never another exception.
    /// </summary>
    [TestMethod]
    [DynamicData(nameof(KindRows))]
    public void Decode_MutatedFile_SucceedsOrThrowsImageDecodeException(string kind)
    {
        var full = Valid(kind);
        var rng = new Random(kind.Aggregate(17, (h, ch) => h * 31 + ch)); // stable across runs (string.GetHashCode is not)
        int refused = 0, decoded = 0;
        for (int t = 0; t < 120; t++)
        {
            var m = (byte[])full.Clone();
            switch (t % 4)
            {
                case 0: for (int k = rng.Next(1, 5); k > 0; k--) m[rng.Next(m.Length)] ^= (byte)(1 << rng.Next(8)); break;
                case 1:
                {
                    int p = rng.Next(Math.Min(m.Length - 2, 200));
                    m[p] = (byte)rng.Next(256); m[p + 1] = (byte)rng.Next(256);
                    break;
                }
                case 2: m = m[..rng.Next(1, m.Length)]; m[rng.Next(m.Length)] = (byte)rng.Next(256); break;
                default:
                {
                    int p = rng.Next(m.Length), n = rng.Next(1, 64);
                    m = [.. m[..p], .. m[p..Math.Min(m.Length, p + n)], .. m[p..]];
                    break;
                }
            }
            try { ImageIO.Decode(m, $"mutant-{kind}-{t}"); decoded++; }
            catch (ImageDecodeException e) { StringAssert.Contains(e.Message, $"mutant-{kind}-{t}"); refused++; }
            catch (Exception e) { Assert.Fail($"{kind} mutant {t}: {e.GetType().Name} escaped: {e.Message}"); }
        }
        Assert.IsTrue(refused > 0, $"{kind}: no mutant refused");
    }
}
