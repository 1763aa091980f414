// Port of USMSharp from XPixelGroup/BasicSR basicsr/utils/img_process_util.py (commit 8d56e3a045f9fb3e1d8872f92ee4a4f07f886b0a),
// with the Gaussian kernel of cv2.getGaussianKernel(ksize, sigma).
using static TorchSharp.torch;

namespace HfDiff.Torch.Degradations;

/// <summary>
/// Unsharp-mask sharpening on batched tensors: <c>blur = filter2D(img, G)</c>, <c>residual = img − blur</c>,
/// <c>mask = (|residual|·255 &gt; threshold)</c>, <c>soft = filter2D(mask, G)</c>,
/// <c>out = soft·clip(img + weight·residual, 0, 1) + (1 − soft)·img</c>.
/// </summary>
public sealed class UsmSharp : IDisposable
{
    readonly Tensor _kernel;

    /// <param name="radius">Kernel size; an even value is increased by one (50 → 51, the reference default).</param>
    /// <param name="sigma">Gaussian sigma; ≤ 0 uses OpenCV's rule <c>0.3·((ksize − 1)·0.5 − 1) + 0.8</c> (8.0 for 51).</param>
    public UsmSharp(int radius = 50, double sigma = 0)
    {
        if (radius < 1) throw new ArgumentOutOfRangeException(nameof(radius), $"radius must be >= 1; got {radius}.");
        if (radius % 2 == 0) radius += 1;
        Radius = radius;
        var g = GaussianKernel1D(radius, sigma);
        var k2 = new double[radius, radius];
        for (int i = 0; i < radius; i++)
            for (int j = 0; j < radius; j++)
                k2[i, j] = g[i] * g[j];
        using var k = BlurKernels.ToTensor(k2, ScalarType.Float32);
        _kernel = k.unsqueeze(0).detach();
    }

    /// <summary>The (odd) kernel size.</summary>
    public int Radius { get; }

    /// <summary>The float32 kernel <c>(1, k, k)</c> (the reference's <c>kernel</c> buffer).</summary>
    public Tensor Kernel => _kernel;

    /// <summary>
    /// Sharpens <paramref name="img"/> <c>(B, C, H, W)</c> in [0, 1]. <paramref name="threshold"/> is on the 0..255 scale.
    /// </summary>
    public Tensor Forward(Tensor img, double weight = 0.5, double threshold = 10)
    {
        ArgumentNullException.ThrowIfNull(img);
        using var scope = NewDisposeScope();
        var kernel = _kernel.to(img.device);
        var blur = Filter2D.Apply(img, kernel);
        var residual = img - blur;
        var mask = (residual.abs() * 255).gt(threshold).to(img.dtype);
        var soft = Filter2D.Apply(mask, kernel);
        var sharp = (img + residual * weight).clip(0, 1);
        var result = soft * sharp + (1 - soft) * img;
        return result.MoveToOuterDisposeScope();
    }

    /// <summary>
    /// <c>cv2.getGaussianKernel(ksize, sigma)</c> in float64: <c>exp(−x²/(2σ²))</c> for x = i − (ksize − 1)/2, divided
    /// by the sum. OpenCV uses a fixed table for ksize ≤ 7 with sigma ≤ 0; that case is not ported and throws.
    /// </summary>
    public static double[] GaussianKernel1D(int ksize, double sigma)
    {
        if (ksize < 1 || ksize % 2 == 0) throw new ArgumentOutOfRangeException(nameof(ksize), $"ksize must be odd and >= 1; got {ksize}.");
        if (ksize <= 7 && sigma <= 0)
            throw new ArgumentOutOfRangeException(nameof(ksize), $"ksize <= 7 with sigma <= 0 uses OpenCV's fixed table, which is not ported; got ksize {ksize}.");
        double s = sigma > 0 ? sigma : ((ksize - 1) * 0.5 - 1) * 0.3 + 0.8;
        double scale2X = -0.5 / (s * s);
        var k = new double[ksize];
        double sum = 0;
        for (int i = 0; i < ksize; i++)
        {
            double x = i - (ksize - 1) * 0.5;
            k[i] = Math.Exp(scale2X * x * x);
            sum += k[i];
        }
        sum = 1.0 / sum;
        for (int i = 0; i < ksize; i++) k[i] *= sum;
        return k;
    }

    public void Dispose() => _kernel.Dispose();
}
