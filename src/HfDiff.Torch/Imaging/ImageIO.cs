using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats.Png;
using SixLabors.ImageSharp.PixelFormats;
using SixLabors.ImageSharp.Processing;
using static TorchSharp.torch;

namespace HfDiff.Torch.Imaging;

/// <summary>
/// Image files ↔ tensors. Reads PNG, JPEG, BMP, TIFF, WebP (and GIF/TGA/PBM that ImageSharp knows), 8- or 16-bit,
/// gray, RGB, RGBA (alpha is dropped, not composited — what PIL's <c>convert('RGB')</c> does), palette; applies EXIF
/// orientation. Dimensions are identified before decoding so that oversized or crafted files are refused cheaply.
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

    /// <summary>Decodes encoded image bytes; <paramref name="name"/> is used in error messages.</summary>
    public static RgbImage Decode(byte[] encoded, string name, ImageReadOptions? options = null)
    {
        options ??= ImageReadOptions.Default;
        if (encoded.Length == 0) throw new ImageDecodeException(name, "the file is empty.");
        IImageInfo? info;
        try { info = Image.Identify(encoded); }
        catch (Exception e) { throw new ImageDecodeException(name, $"not a readable image ({e.Message}).", e); }
        if (info is null) throw new ImageDecodeException(name, "not an image in a supported format (PNG, JPEG, BMP, TIFF, WebP, GIF, TGA, PBM).");
        long pixels = (long)info.Width * info.Height;
        if (info.Width <= 0 || info.Height <= 0) throw new ImageDecodeException(name, $"invalid dimensions {info.Width}×{info.Height}.");
        if (pixels > options.MaxPixels)
            throw new ImageDecodeException(name, $"{info.Width}×{info.Height} = {pixels:N0} pixels exceeds the limit of {options.MaxPixels:N0} (ImageReadOptions.MaxPixels).");

        bool sixteen = IsSixteenBit(info);
        try
        {
            return sixteen ? DecodeAs<Rgb48>(encoded, options, 16) : DecodeAs<Rgb24>(encoded, options, 8);
        }
        catch (ImageDecodeException) { throw; }
        catch (Exception e) when (e is ImageFormatException or UnknownImageFormatException or InvalidImageContentException
                                  or EndOfStreamException or IndexOutOfRangeException or ArgumentException or InvalidOperationException
                                  or NotSupportedException or OutOfMemoryException)
        {
            throw new ImageDecodeException(name, $"truncated or corrupt ({e.Message}).", e);
        }
    }

    static bool IsSixteenBit(IImageInfo info)
    {
        // 48/64 bpp are RGB(A)16; 16 bpp gray is ambiguous with 8-bit gray+alpha, so ask the PNG/TIFF metadata.
        if (info.PixelType?.BitsPerPixel >= 48) return true;
        var png = info.Metadata.GetPngMetadata();
        return png.BitDepth == PngBitDepth.Bit16; // 16-bit gray TIFF/PGM are read at 8-bit precision
    }

    static RgbImage DecodeAs<TPixel>(byte[] encoded, ImageReadOptions options, int bits) where TPixel : unmanaged, IPixel<TPixel>
    {
        using var image = Image.Load<TPixel>(encoded);
        if (options.ApplyExifOrientation) image.Mutate(x => x.AutoOrient());
        int w = image.Width, h = image.Height, plane = w * h;
        var planar = new float[3 * plane];
        var pixels = new TPixel[plane];
        image.CopyPixelDataTo(pixels);
        if (typeof(TPixel) == typeof(Rgb24))
        {
            var rgb = System.Runtime.InteropServices.MemoryMarshal.Cast<TPixel, byte>(pixels);
            for (int i = 0, j = 0; i < plane; i++, j += 3)
            {
                planar[i] = rgb[j] / 255f;
                planar[plane + i] = rgb[j + 1] / 255f;
                planar[2 * plane + i] = rgb[j + 2] / 255f;
            }
        }
        else
        {
            var rgb = System.Runtime.InteropServices.MemoryMarshal.Cast<TPixel, ushort>(pixels);
            for (int i = 0, j = 0; i < plane; i++, j += 3)
            {
                planar[i] = rgb[j] / 65535f;
                planar[plane + i] = rgb[j + 1] / 65535f;
                planar[2 * plane + i] = rgb[j + 2] / 65535f;
            }
        }
        return new RgbImage(w, h, planar, bits);
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
