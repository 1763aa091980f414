using System.Runtime.InteropServices;
using HfDiff.Torch.Imaging;
using Microsoft.ML.Data;
using static TorchSharp.torch;

namespace HfDiff.MLNet.Imaging;

/// <summary>
/// ML.NET image columns (<see cref="MLImage"/>, 8-bit BGRA/RGBA) ↔ planar RGB float tensors in [0,1], reading the pixel
/// buffer in one pass (no per-pixel getters). Alpha is dropped, as <see cref="ImageIO"/> does for files.
/// </summary>
public static class MLImageTensor
{
    /// <summary>Planar RGB in [0,1] (u8/255) from an MLImage.</summary>
    public static RgbImage ToRgbImage(MLImage image)
    {
        ArgumentNullException.ThrowIfNull(image);
        int w = image.Width, h = image.Height, plane = w * h;
        var (r, b) = image.PixelFormat switch
        {
            MLPixelFormat.Bgra32 => (2, 0),
            MLPixelFormat.Rgba32 => (0, 2),
            _ => throw new ArgumentException($"Unsupported MLImage pixel format {image.PixelFormat}; expected Bgra32 or Rgba32.", nameof(image)),
        };
        ReadOnlySpan<byte> px = image.Pixels;
        if (px.Length < plane * 4) throw new ArgumentException($"MLImage pixel buffer has {px.Length} bytes; expected {plane * 4} for {w}×{h}.", nameof(image));
        var planar = new float[3 * plane];
        for (int i = 0, j = 0; i < plane; i++, j += 4)
        {
            planar[i] = px[j + r] / 255f;
            planar[plane + i] = px[j + 1] / 255f;
            planar[2 * plane + i] = px[j + b] / 255f;
        }
        return new RgbImage(w, h, planar, 8);
    }

    /// <summary>(1,3,H,W) float32 in [0,1] from an MLImage.</summary>
    public static Tensor ToTensor(MLImage image) => ToRgbImage(image).ToTensor();

    /// <summary>An opaque RGBA MLImage from (1,3,H,W)/(3,H,W) float [0,1] (clamped, rounded half-to-even).</summary>
    public static MLImage FromTensor(Tensor image)
    {
        var (rgb, w, h) = ImageIO.ToRgb24(image);
        var rgba = new byte[w * h * 4];
        for (int i = 0, j = 0; i < w * h; i++, j += 3)
        {
            rgba[4 * i] = rgb[j]; rgba[4 * i + 1] = rgb[j + 1]; rgba[4 * i + 2] = rgb[j + 2]; rgba[4 * i + 3] = 255;
        }
        return MLImage.CreateFromPixels(w, h, MLPixelFormat.Rgba32, rgba);
    }
}
