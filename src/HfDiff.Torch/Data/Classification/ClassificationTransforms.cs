// ImageNet classification transforms. Crop sampling follows torchvision (pytorch/vision,
// torchvision/transforms/transforms.py: RandomResizedCrop.get_params, CenterCrop; functional.py: _compute_resized_output_size),
// with an explicit System.Random in place of torch's global generator.
using TorchSharp;
using static TorchSharp.torch;

namespace HfDiff.Torch.Data.Classification;

/// <summary>
/// Tensor transforms on <c>(1, 3, H, W)</c> float32 images in [0,1] (what <c>ImageIO.ReadTensor</c> returns); results
/// are <c>(3, S, S)</c> with S = <see cref="ClassificationTransformOptions.CropSize"/>, normalised when the options say so.
/// Resizing uses <c>F.interpolate(mode=bilinear|bicubic, align_corners=False, antialias=True)</c>, which matches
/// torchvision's tensor <c>Resize(antialias=True)</c> (its default since 0.17) and is close to, not identical with, PIL.
/// Randomness comes only from the <see cref="Random"/> passed in.
/// </summary>
public static class ClassificationTransforms
{
    /// <summary>Training pipeline: random resized crop, random horizontal flip, normalisation.</summary>
    public static Tensor Train(Tensor image, ClassificationTransformOptions options, Random rng)
    {
        ArgumentNullException.ThrowIfNull(rng);
        CheckImage(image);
        using var scope = NewDisposeScope();
        int h = (int)image.shape[2], w = (int)image.shape[3];
        var box = RandomResizedCropBox(h, w, options, rng);
        var crop = image[.., .., box.Top..(box.Top + box.Height), box.Left..(box.Left + box.Width)];
        var resized = Resize(crop, options.CropSize, options.CropSize, options.Interpolation);
        // torchvision draws the flip after the crop: torch.rand(1) < p.
        if (rng.NextDouble() < options.HorizontalFlipProbability) resized = resized.flip(3);
        return Finish(resized, options).MoveToOuterDisposeScope();
    }

    /// <summary>Evaluation pipeline: shorter side to <see cref="ClassificationTransformOptions.EffectiveResizeSize"/>, centre crop, normalisation.</summary>
    public static Tensor Eval(Tensor image, ClassificationTransformOptions options)
    {
        CheckImage(image);
        using var scope = NewDisposeScope();
        int h = (int)image.shape[2], w = (int)image.shape[3];
        var (nh, nw) = ShorterSideSize(h, w, options.EffectiveResizeSize);
        var resized = (nh == h && nw == w) ? image : Resize(image, nh, nw, options.Interpolation);
        var box = CenterCropBox(nh, nw, options.CropSize);
        var crop = resized[.., .., box.Top..(box.Top + box.Height), box.Left..(box.Left + box.Width)];
        return Finish(crop, options).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// torchvision <c>RandomResizedCrop.get_params</c>: up to 10 tries of a box with area fraction in the scale range and a
    /// log-uniform aspect ratio; otherwise the centre crop with the ratio clamped to the range.
    /// </summary>
    public static CropBox RandomResizedCropBox(int height, int width, ClassificationTransformOptions options, Random rng)
    {
        ArgumentNullException.ThrowIfNull(rng);
        double area = (double)height * width;
        double logMin = Math.Log(options.RatioMin), logMax = Math.Log(options.RatioMax);
        for (int attempt = 0; attempt < 10; attempt++)
        {
            double targetArea = area * Uniform(rng, options.ScaleMin, options.ScaleMax);
            double aspect = Math.Exp(Uniform(rng, logMin, logMax));
            int w = (int)Math.Round(Math.Sqrt(targetArea * aspect));   // Python round: half to even
            int h = (int)Math.Round(Math.Sqrt(targetArea / aspect));
            if (w > 0 && w <= width && h > 0 && h <= height)
            {
                int top = rng.Next(0, height - h + 1);
                int left = rng.Next(0, width - w + 1);
                return new CropBox(top, left, h, w);
            }
        }
        double inRatio = (double)width / height;
        int cw, ch;
        if (inRatio < options.RatioMin) { cw = width; ch = (int)Math.Round(cw / options.RatioMin); }
        else if (inRatio > options.RatioMax) { ch = height; cw = (int)Math.Round(ch * options.RatioMax); }
        else { cw = width; ch = height; }
        return new CropBox((height - ch) / 2, (width - cw) / 2, ch, cw);
    }

    /// <summary>torchvision <c>Resize(int)</c> output size: shorter side = <paramref name="size"/>, longer side truncated (<c>int(size · long / short)</c>).</summary>
    public static (int Height, int Width) ShorterSideSize(int height, int width, int size)
    {
        if (height <= width) return (size, (int)((long)size * width / height));
        return ((int)((long)size * height / width), size);
    }

    /// <summary>torchvision <c>CenterCrop</c> offsets: <c>round((H − S) / 2)</c>, half to even. Requires S ≤ H, W.</summary>
    public static CropBox CenterCropBox(int height, int width, int size)
    {
        if (size > height || size > width)
            throw new ArgumentOutOfRangeException(nameof(size), size, $"Centre crop {size} is larger than the resized image {height}×{width}.");
        return new CropBox((int)Math.Round((height - size) / 2.0), (int)Math.Round((width - size) / 2.0), size, size);
    }

    static double Uniform(Random rng, double lo, double hi) => lo + (hi - lo) * rng.NextDouble();

    static Tensor Resize(Tensor x, int h, int w, ClassificationInterpolation mode) =>
        nn.functional.interpolate(x, [h, w],
            mode: mode == ClassificationInterpolation.Bicubic ? InterpolationMode.Bicubic : InterpolationMode.Bilinear,
            align_corners: false, antialias: true);

    static Tensor Finish(Tensor x, ClassificationTransformOptions options)
    {
        var img = x[0];
        if (!options.Normalize) return img.contiguous();
        var mean = tensor(options.Mean.ToArray(), [3, 1, 1]);   // callers run under a dispose scope
        var std = tensor(options.Std.ToArray(), [3, 1, 1]);
        return ((img - mean) / std).contiguous();
    }

    static void CheckImage(Tensor image)
    {
        ArgumentNullException.ThrowIfNull(image);
        if (image.dim() != 4 || image.shape[0] != 1 || image.shape[1] != 3)
            throw new ArgumentException($"Expected an image tensor (1, 3, H, W); got [{string.Join(", ", image.shape)}].", nameof(image));
    }
}
