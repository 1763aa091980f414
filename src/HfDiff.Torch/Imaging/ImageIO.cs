using HfDiff.Torch.Imaging.Formats;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats.Png;
using SixLabors.ImageSharp.PixelFormats;
using static TorchSharp.torch;

namespace HfDiff.Torch.Imaging;

/// <summary>
/// Image files ↔ tensors. Reads PNG, JPEG, BMP, TIFF, WebP (and GIF/TGA/PBM that ImageSharp knows), 8- or 16-bit,
/// gray, RGB, RGBA (alpha is dropped, not composited — what PIL's <c>convert('RGB')</c> does), palette, CMYK (naive
/// conversion); the first frame of animations and multi-page files; applies EXIF orientation. Each format is checked
/// by our own code before decoding (<see cref="Formats.ImageFormats"/>): truncated or inconsistent files are refused
/// as Pillow refuses them ("image file is truncated"), unless <see cref="ImageReadOptions.AllowTruncated"/>, and
/// oversized ones are refused from the header, before any pixel data is read.
/// Writes PNG through a temporary file renamed into place, so a killed run never leaves a half-written output.
/// </summary>
public static class ImageIO
{
    /// <summary>Reads an image as (1,3,H,W) float32 in [0,1].</summary>
    public static Tensor ReadTensor(string path, ImageReadOptions? options = null) => Read(path, options).ToTensor();

    /// <summary>Reads an image as planar RGB floats in [0,1].</summary>
    public static RgbImage Read(string path, ImageReadOptions? options = null)
    {
        options ??= ImageReadOptions.Default;
        if (!File.Exists(path)) throw new ImageDecodeException(path, "file not found.");
        // Before reading: a FIFO would block and a device such as /dev/zero would never end.
        if (RegularFile.Check(path) == false) throw new ImageDecodeException(path, "not a regular file (a FIFO, device or socket); give an image file.");
        byte[] bytes;
        try { bytes = File.ReadAllBytes(path); }
        catch (Exception e) { throw new ImageDecodeException(path, e.Message, e); }
        return Decode(bytes, path, options);
    }

    /// <summary>
    /// Decodes encoded image bytes; <paramref name="name"/> is used in error messages. Every problem, including a
    /// decoder bug on malformed data, becomes one <see cref="ImageDecodeException"/> naming the file and the problem.
    /// </summary>
    public static RgbImage Decode(byte[] encoded, string name, ImageReadOptions? options = null)
    {
        options ??= ImageReadOptions.Default;
        if (encoded.Length == 0) throw new ImageDecodeException(name, "the file is empty.");
        try { return DecodeChecked(encoded, options); }
        catch (ImageCheckFailure e) { throw new ImageDecodeException(name, e.Describe(), e); }
        catch (Exception e)
        {
            string message = string.Join(' ', e.Message.Split(['\r', '\n'], StringSplitOptions.RemoveEmptyEntries));
            throw new ImageDecodeException(name, $"truncated or corrupt ({e.GetType().Name}: {message}).", e);
        }
    }

    /// <summary>
    /// Our format check first (<see cref="ImageFormats"/>: refuses short or inconsistent data, strips what the pixels
    /// do not need, keeps only the first frame), then ImageSharp on what it hands over, then CMYK conversion, the
    /// first frame's canvas and the EXIF orientation.
    /// </summary>
    static RgbImage DecodeChecked(byte[] encoded, ImageReadOptions options)
    {
        var check = new ImageCheck(options);
        var prepared = ImageFormats.Prepare(encoded, check);
        RgbImage image;
        if (prepared.Decoded is not null) image = prepared.Decoded;
        else
        {
            var info = Image.Identify(prepared.Data)
                       ?? throw ImageCheck.Plain("not an image in a supported format (PNG, JPEG, BMP, TIFF, WebP, GIF, TGA, PBM/PGM/PPM).");
            if (info.Width != prepared.Width || info.Height != prepared.Height)
                throw ImageCheck.Fail($"{prepared.Format}: the decoder reads {info.Width}×{info.Height} but the header says {prepared.Width}×{prepared.Height}.");
            bool sixteen = IsSixteenBit(info);
            check.CheckBudget(info.Width, info.Height, (info.PixelType?.BitsPerPixel ?? 32) / 8.0, sixteen ? 6 : 3);
            image = (prepared.Cmyk, sixteen) switch
            {
                (false, false) => DecodeAs<Rgb24>(prepared.Data, 3, 8, false),
                (false, true) => DecodeAs<Rgb48>(prepared.Data, 3, 16, false),
                (true, false) => DecodeAs<Rgba32>(prepared.Data, 4, 8, true),
                (true, true) => DecodeAs<Rgba64>(prepared.Data, 4, 16, true),
            };
            if (image.Width != prepared.Width || image.Height != prepared.Height)
                throw ImageCheck.Fail($"{prepared.Format}: decoded {image.Width}×{image.Height} but the header says {prepared.Width}×{prepared.Height}.");
        }
        if (prepared.Canvas is { } canvas) image = Place(image, canvas.Width, canvas.Height, canvas.X, canvas.Y);
        if (options.ApplyExifOrientation && prepared.Orientation != 1) image = Orient(image, prepared.Orientation);
        return image;
    }

    static bool IsSixteenBit(IImageInfo info)
    {
        // 48/64 bpp are RGB(A)16; 16 bpp gray is ambiguous with 8-bit gray+alpha, so ask the PNG metadata.
        if (info.PixelType?.BitsPerPixel >= 48) return true;
        var png = info.Metadata.GetPngMetadata();
        return png.BitDepth == PngBitDepth.Bit16; // 16-bit gray TIFF is read at 8-bit precision (16-bit PGM is exact: PnmDecoder)
    }

    /// <summary>
    /// Decodes to <typeparamref name="TPixel"/> (RGB, or RGBA holding C, M, Y, K) and writes planar floats row by row.
    /// CMYK follows Pillow's <c>cmyk2rgb</c>: R = (255 − K) − MULDIV255(C, 255 − K), likewise G from M and B from Y
    /// (the naive conversion, no ICC profile); 16-bit CMYK uses the same formula in floating point.
    /// </summary>
    static RgbImage DecodeAs<TPixel>(byte[] encoded, int stride, int bits, bool cmyk) where TPixel : unmanaged, IPixel<TPixel>
    {
        using var image = Image.Load<TPixel>(encoded);
        int w = image.Width, h = image.Height, plane = w * h;
        var planar = new float[3 * plane];
        image.ProcessPixelRows(accessor =>
        {
            for (int y = 0; y < h; y++)
            {
                var row = accessor.GetRowSpan(y);
                int o = y * w;
                if (bits == 8)
                {
                    var b = System.Runtime.InteropServices.MemoryMarshal.AsBytes(row);
                    for (int x = 0, j = 0; x < w; x++, j += stride)
                        for (int c = 0; c < 3; c++)
                        {
                            int v = b[j + c];
                            if (cmyk) { int nk = 255 - b[j + 3], t = v * nk + 128; v = nk - ((t >> 8) + t >> 8); }
                            planar[c * plane + o + x] = v / 255f;
                        }
                }
                else
                {
                    var u = System.Runtime.InteropServices.MemoryMarshal.Cast<TPixel, ushort>(row);
                    for (int x = 0, j = 0; x < w; x++, j += stride)
                        for (int c = 0; c < 3; c++)
                            planar[c * plane + o + x] = cmyk
                                ? (float)((1 - u[j + c] / 65535.0) * (1 - u[j + 3] / 65535.0))
                                : u[j + c] / 65535f;
                }
            }
        });
        return new RgbImage(w, h, planar, bits);
    }

    /// <summary>Pastes <paramref name="image"/> at (x0, y0) into a black canvas.</summary>
    static RgbImage Place(RgbImage image, int width, int height, int x0, int y0)
    {
        int plane = width * height, src = image.Width * image.Height;
        var planar = new float[3 * plane];
        for (int c = 0; c < 3; c++)
            for (int y = 0; y < image.Height; y++)
                Array.Copy(image.Planar, c * src + y * image.Width, planar, c * plane + (y0 + y) * width + x0, image.Width);
        return new RgbImage(width, height, planar, image.BitDepth);
    }

    /// <summary>
    /// Applies EXIF orientation 2..8 as PIL's <c>ImageOps.exif_transpose</c>: 2 mirror, 3 rotate 180°, 4 flip, 5 transpose,
    /// 6 rotate 90° clockwise, 7 transverse, 8 rotate 90° counter-clockwise.
    /// </summary>
    internal static RgbImage Orient(RgbImage image, int orientation)
    {
        int w = image.Width, h = image.Height, plane = w * h;
        bool swap = orientation >= 5;
        int ow = swap ? h : w, oh = swap ? w : h;
        var planar = new float[3 * plane];
        for (int y = 0; y < oh; y++)
            for (int x = 0; x < ow; x++)
            {
                (int sx, int sy) = orientation switch
                {
                    2 => (w - 1 - x, y),
                    3 => (w - 1 - x, h - 1 - y),
                    4 => (x, h - 1 - y),
                    5 => (y, x),
                    6 => (y, h - 1 - x),
                    7 => (w - 1 - y, h - 1 - x),
                    8 => (w - 1 - y, x),
                    _ => (x, y),
                };
                for (int c = 0; c < 3; c++) planar[c * plane + y * ow + x] = image.Planar[c * plane + sy * w + sx];
            }
        return new RgbImage(ow, oh, planar, image.BitDepth);
    }

    /// <summary>
    /// Converts (1,3,H,W) or (3,H,W) float [0,1] to interleaved RGB bytes: clamp, ×255, round half-to-even
    /// (<c>torch.round</c>; BasicSR's tensor2img also rounds), as written to PNG.
    /// </summary>
    public static (byte[] Rgb, int Width, int Height) ToRgb24(Tensor image)
    {
        using var scope = NewDisposeScope();
        var t = image.dim() == 4 ? image[0] : image;
        if (t.dim() != 3 || t.shape[0] != 3)
            throw new ArgumentException($"Expected an image tensor of shape (1,3,H,W) or (3,H,W); got [{string.Join(",", image.shape)}].", nameof(image));
        int h = (int)t.shape[1], w = (int)t.shape[2];
        var bytes = t.detach().to(CPU).to_type(ScalarType.Float32).clamp(0, 1).mul(255).round()
                     .permute(1, 2, 0).contiguous().to_type(ScalarType.Byte);
        return (bytes.data<byte>().ToArray(), w, h);
    }

    /// <summary>Writes (1,3,H,W)/(3,H,W) float [0,1] as an 8-bit PNG, atomically (temp file + rename).</summary>
    public static void WritePng(Tensor image, string path)
    {
        var (rgb, w, h) = ToRgb24(image);
        WritePng(rgb, w, h, path);
    }

    /// <summary>Writes interleaved RGB bytes as PNG, atomically.</summary>
    public static void WritePng(byte[] rgb, int width, int height, string path)
    {
        using var img = Image.LoadPixelData<Rgb24>(rgb, width, height);
        AtomicFile.Write(path, stream => img.SaveAsPng(stream));
    }
}
