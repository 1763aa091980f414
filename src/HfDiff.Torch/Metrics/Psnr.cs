// Port of pyiqa's PSNR (chaofengc/IQA-PyTorch, pyiqa/archs/psnr_arch.py, commit 01ae427f9afd66842031d3a7cb694dcad5b5cbb8;
// after piq). Peak signal-to-noise ratio, data range 1.
using System.Numerics;
using System.Runtime.InteropServices;
using static TorchSharp.torch;

namespace HfDiff.Torch.Metrics;

/// <summary>
/// PSNR with pyiqa semantics: <c>10·log10(1 / (mse + 1e-8))</c> over C,H,W of (1,3,H,W) float32 [0,1] images, in
/// float32 like pyiqa. With <see cref="PsnrOptions.TestYChannel"/> only the (unrounded) Y channel is compared.
/// </summary>
public sealed class Psnr : IImageQualityMetric
{
    readonly PsnrOptions _options;

    public Psnr(PsnrOptions? options = null)
    {
        _options = options ?? new PsnrOptions();
        _options.Validate();
    }

    public PsnrOptions Options => _options;
    public string Name => _options.TestYChannel ? "psnry" : "psnr";
    public MetricMode Mode => MetricMode.FullReference;
    public bool LowerIsBetter => false;

    /// <summary>Any size; with <see cref="PsnrOptions.CropBorder"/> the crop must leave a pixel.</summary>
    public string? SizeProblem(long height, long width) =>
        _options.CropBorder == 0 ? null
            : MetricSize.AtLeast(Name, height, width, 1 + 2 * _options.CropBorder, 1 + 2 * _options.CropBorder, $"crop_border {_options.CropBorder} on each side");

    public double Score(Tensor distorted, Tensor? reference = null)
    {
        if (distorted is not null) MetricSize.Require(this, distorted);
        return Compute(distorted!, reference!, _options);
    }

    /// <summary>PSNR in dB of <paramref name="distorted"/> against <paramref name="reference"/>, both (1,3,H,W) float32 in [0,1].</summary>
    public static double Compute(Tensor distorted, Tensor reference, PsnrOptions? options = null)
    {
        options ??= new PsnrOptions();
        options.Validate();
        MetricImage.RequireSameShape(distorted, reference);
        MetricImage.Validate(distorted, nameof(distorted));
        MetricImage.Validate(reference, nameof(reference));
        int c = (int)distorted.shape[1], h = (int)distorted.shape[2], w = (int)distorted.shape[3], cb = options.CropBorder;
        if (h - 2 * cb < 1 || w - 2 * cb < 1)
            throw new ArgumentException($"CropBorder {cb} leaves nothing of a {h}×{w} image.", nameof(options));
        // Stream both tensors' storage (no copies): PSNR is memory-bound.
        using var a = distorted.detach().cpu().contiguous();
        using var b = reference.detach().cpu().contiguous();
        var sa = MemoryMarshal.Cast<byte, float>(a.bytes);
        var sb = MemoryMarshal.Cast<byte, float>(b.bytes);
        return Compute(sa, sb, c, h, w, options);
    }

    internal static double Compute(MetricImage x, MetricImage y, PsnrOptions options) =>
        Compute(x.Data, y.Data, x.Channels, x.Height, x.Width, options);

    static double Compute(ReadOnlySpan<float> a, ReadOnlySpan<float> b, int channels, int h, int w, PsnrOptions options)
    {
        int cb = options.CropBorder, rw = w - 2 * cb, plane = h * w;
        double sum = 0;
        long count;
        if (options.TestYChannel && channels == 3)
        {
            // PORT-QUIRK(pyiqa, psnr_arch.py): Y at data range 1.0, not rounded (unlike SSIM/NIQE).
            var ya = new float[rw];
            var yb = new float[rw];
            for (int r = cb; r < h - cb; r++)
            {
                int o = r * w + cb;
                LumaConversion.ToY(a.Slice(o, rw), a.Slice(plane + o, rw), a.Slice(2 * plane + o, rw), options.ColorSpace, 1f, ya);
                LumaConversion.ToY(b.Slice(o, rw), b.Slice(plane + o, rw), b.Slice(2 * plane + o, rw), options.ColorSpace, 1f, yb);
                sum += SquaredErrorSum(ya, yb);
            }
            count = (long)(h - 2 * cb) * rw;
        }
        else if (cb == 0)
        {
            sum = SquaredErrorSum(a, b);
            count = a.Length;
        }
        else
        {
            for (int c = 0; c < channels; c++)
                for (int r = cb; r < h - cb; r++)
                {
                    int o = c * plane + r * w + cb;
                    sum += SquaredErrorSum(a.Slice(o, rw), b.Slice(o, rw));
                }
            count = (long)channels * (h - 2 * cb) * rw;
        }
        return FromSquaredErrorSum(sum, count);
    }

    /// <summary>Σ (a − b)² with the differences and squares in float32 (as torch) and the sum in float64.</summary>
    static double SquaredErrorSum(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        // torch sums in float32 with a cascade; a float64 sum differs from it by a few float32 ulps of the mean
        // at most (~1e-6 dB), well inside the fixture tolerance.
        int vs = Vector<float>.Count, i = 0;
        Vector<double> acc0 = Vector<double>.Zero, acc1 = Vector<double>.Zero;
        for (; i + vs <= a.Length; i += vs)
        {
            var d = new Vector<float>(a.Slice(i, vs)) - new Vector<float>(b.Slice(i, vs));
            Vector.Widen(d * d, out var lo, out var hi);
            acc0 += lo;
            acc1 += hi;
        }
        double sum = Vector.Sum(acc0 + acc1);
        for (; i < a.Length; i++)
        {
            float d = a[i] - b[i];
            sum += d * d;
        }
        return sum;
    }

    /// <summary>pyiqa: <c>10 * log10(data_range**2 / (mse + eps))</c> with data range 1 and eps 1e-8, in float32.</summary>
    static double FromSquaredErrorSum(double sum, long count)
    {
        float mse = (float)(sum / count);
        float denom = mse + 1e-8f;
        float ratio = 1f / denom;
        return 10f * MathF.Log10(ratio);
    }

    public void Dispose() { }
}
