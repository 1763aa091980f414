using TorchSharp;
using static TorchSharp.torch;

namespace HfDiff.Torch.Archs.Dinov2;

/// <summary>
/// Prepares an image batch <c>(B, C, H, W)</c> for <see cref="DinoVisionTransformer"/> (see <see cref="Dinov2PreprocessOptions"/>).
/// Differentiable (bicubic resize, affine normalisation), so it can sit inside a training loss.
/// </summary>
public sealed class Dinov2ImagePreprocessor
{
    public Dinov2PreprocessOptions Options { get; }

    public Dinov2ImagePreprocessor(Dinov2PreprocessOptions? options = null)
    {
        Options = options ?? new Dinov2PreprocessOptions();
        Options.Validate();
    }

    /// <summary>Output spatial size for an input of <paramref name="height"/>×<paramref name="width"/>.</summary>
    public (long Height, long Width) OutputSize(long height, long width)
    {
        long p = Options.PatchSize;
        return Options.SizeMode switch
        {
            Dinov2SizeMode.ResizeToMultiple => (Math.Max(p, (long)Math.Round((double)height / p, MidpointRounding.AwayFromZero) * p),
                                                Math.Max(p, (long)Math.Round((double)width / p, MidpointRounding.AwayFromZero) * p)),
            Dinov2SizeMode.ResizeToFixed => (Options.Height, Options.Width),
            Dinov2SizeMode.CenterCropToMultiple => (height / p * p, width / p * p),
            _ => (height, width),
        };
    }

    /// <summary>Normalised, patch-aligned batch <c>(B, C, H', W')</c> float32 (or the input's floating dtype).</summary>
    public Tensor Prepare(Tensor images)
    {
        ArgumentNullException.ThrowIfNull(images);
        if (images.dim() != 4 || images.shape[1] != Options.Mean.Count)
            throw new ArgumentException($"images must be (B, {Options.Mean.Count}, H, W); got [{string.Join(", ", images.shape)}].", nameof(images));
        using var scope = torch.NewDisposeScope();
        var x = images.is_floating_point() ? images : images.to_type(ScalarType.Float32);
        if (Options.InputRange == ImageValueRange.MinusOneToOne) x = (x + 1) * 0.5;
        long h = x.shape[2], w = x.shape[3];
        var (oh, ow) = OutputSize(h, w);
        if (oh < 1 || ow < 1)
            throw new ArgumentException($"images of {h}×{w} are smaller than one {Options.PatchSize}×{Options.PatchSize} patch.", nameof(images));
        if (Options.SizeMode == Dinov2SizeMode.CenterCropToMultiple)
        {
            long top = (h - oh) / 2, left = (w - ow) / 2;
            x = x.narrow(2, top, oh).narrow(3, left, ow);
        }
        else if (oh != h || ow != w)
        {
            x = nn.functional.interpolate(x, size: [oh, ow], mode: InterpolationMode.Bicubic, align_corners: false,
                                          antialias: Options.Antialias && (oh < h || ow < w));
        }
        var mean = torch.tensor(Options.Mean.ToArray(), dtype: x.dtype, device: x.device).reshape(1, -1, 1, 1);
        var std = torch.tensor(Options.Std.ToArray(), dtype: x.dtype, device: x.device).reshape(1, -1, 1, 1);
        return ((x - mean) / std).MoveToOuterDisposeScope();
    }
}
