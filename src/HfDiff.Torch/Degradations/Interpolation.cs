// The torch.nn.functional.interpolate calls of xinntao/Real-ESRGAN realesrgan/models/realesrgan_model.py (feed_data,
// commit a4abfb2979a7bbff3f69f58f58ae324608821e27) as evaluated by torch 1.13.
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace HfDiff.Torch.Degradations;

/// <summary>
/// <c>F.interpolate</c> with <c>align_corners=False</c> and no antialiasing, in the two forms the pipeline uses.
/// </summary>
public static class Interpolation
{
    /// <summary>
    /// <c>F.interpolate(x, scale_factor=s, mode=m)</c> on <c>(B, C, H, W)</c>: the output is
    /// <c>floor(H·s) × floor(W·s)</c>. For bilinear/bicubic the source coordinate is <c>(dst + 0.5)/s − 0.5</c> with the
    /// given s, not in/out; for area the factor only sets the size (adaptive average pooling).
    /// </summary>
    public static Tensor ByScaleFactor(Tensor x, double scaleFactor, ResizeMode mode)
    {
        CheckInput(x);
        if (!(scaleFactor > 0) || !double.IsFinite(scaleFactor))
            throw new ArgumentOutOfRangeException(nameof(scaleFactor), $"scaleFactor must be finite and > 0; got {scaleFactor}.");
        long outH = (long)Math.Floor(x.shape[2] * scaleFactor), outW = (long)Math.Floor(x.shape[3] * scaleFactor);
        if (outH < 1 || outW < 1)
            throw new ArgumentOutOfRangeException(nameof(scaleFactor), $"scaleFactor {scaleFactor} maps {x.shape[2]}x{x.shape[3]} to an empty {outH}x{outW} image.");
        if (mode == ResizeMode.Area) return F.adaptive_avg_pool2d(x, [outH, outW]);
        // PORT-QUIRK(Real-ESRGAN, realesrgan_model.py): scale_factor (not the output size) sets the sampling grid.
        return F.interpolate(x, scale_factor: [scaleFactor, scaleFactor], mode: ToTorch(mode), align_corners: false, recompute_scale_factor: false);
    }

    /// <summary><c>F.interpolate(x, size=(height, width), mode=m)</c> on <c>(B, C, H, W)</c> (scale = in/out).</summary>
    public static Tensor ToSize(Tensor x, long height, long width, ResizeMode mode)
    {
        CheckInput(x);
        if (height < 1 || width < 1)
            throw new ArgumentOutOfRangeException(height < 1 ? nameof(height) : nameof(width), $"output size must be >= 1x1; got {height}x{width}.");
        if (mode == ResizeMode.Area) return F.adaptive_avg_pool2d(x, [height, width]);
        return F.interpolate(x, size: [height, width], mode: ToTorch(mode), align_corners: false);
    }

    static InterpolationMode ToTorch(ResizeMode mode) => mode switch
    {
        ResizeMode.Bilinear => InterpolationMode.Bilinear,
        ResizeMode.Bicubic => InterpolationMode.Bicubic,
        ResizeMode.Area => InterpolationMode.Area,
        _ => throw new ArgumentOutOfRangeException(nameof(mode), $"Unknown resize mode {mode}."),
    };

    static void CheckInput(Tensor x)
    {
        ArgumentNullException.ThrowIfNull(x);
        if (x.dim() != 4) throw new ArgumentException($"x must be (B, C, H, W); got shape [{string.Join(", ", x.shape)}].", nameof(x));
    }

    /// <summary>Parses a reference mode name: <c>area</c>, <c>bilinear</c> or <c>bicubic</c>.</summary>
    public static ResizeMode ParseMode(string name) => name switch
    {
        "area" => ResizeMode.Area,
        "bilinear" => ResizeMode.Bilinear,
        "bicubic" => ResizeMode.Bicubic,
        _ => throw new ArgumentOutOfRangeException(nameof(name), $"Unknown resize mode '{name}'; expected area, bilinear or bicubic."),
    };
}
