// Port of pyiqa's PSNR (chaofengc/IQA-PyTorch, pyiqa/archs/psnr_arch.py, commit 01ae427f9afd66842031d3a7cb694dcad5b5cbb8;
// after piq). Peak signal-to-noise ratio, data range 1.
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

    public double Score(Tensor distorted, Tensor? reference = null) => Compute(distorted, reference!, _options);

    /// <summary>PSNR in dB of <paramref name="distorted"/> against <paramref name="reference"/>, both (1,3,H,W) float32 in [0,1].</summary>
    public static double Compute(Tensor distorted, Tensor reference, PsnrOptions? options = null)
    {
        options ??= new PsnrOptions();
        options.Validate();
        MetricImage.RequireSameShape(distorted, reference);
        var x = MetricImage.FromTensor(distorted, nameof(distorted)).CropBorder(options.CropBorder);
        var y = MetricImage.FromTensor(reference, nameof(reference)).CropBorder(options.CropBorder);
        return Compute(x, y, options);
    }

    internal static double Compute(MetricImage x, MetricImage y, PsnrOptions options)
    {
        float[] a = x.Data, b = y.Data;
        int count = a.Length;
        if (options.TestYChannel && x.Channels == 3)
        {
            // PORT-QUIRK(pyiqa, psnr_arch.py): Y at data range 1.0, not rounded (unlike SSIM/NIQE).
            a = LumaConversion.ToY(a, x.Plane, options.ColorSpace, 1f);
            b = LumaConversion.ToY(b, y.Plane, options.ColorSpace, 1f);
            count = x.Plane;
        }
        // Differences and squares are float32 as in torch; the sum is accumulated in double (torch's float32 cascade
        // sum differs from it by a few float32 ulps of the mean at most, ~1e-6 dB).
        double sum = 0;
        for (int i = 0; i < count; i++)
        {
            float d = a[i] - b[i];
            sum += d * d;
        }
        float mse = (float)(sum / count);
        float denom = mse + 1e-8f;
        float ratio = 1f / denom;
        return 10f * MathF.Log10(ratio);
    }

    public void Dispose() { }
}
