using static TorchSharp.torch;

namespace HfDiff.Torch.Degradations;

/// <summary>
/// One degraded batch. <see cref="Lq"/> is made from <see cref="GtUsm"/> (the USM-sharpened GT), as in Real-ESRGAN.
/// The loss targets follow the options: <see cref="L1Target"/> / <see cref="PerceptualTarget"/> are
/// <see cref="GtUsm"/> when <c>L1GtUsm</c> / <c>PercepGtUsm</c> (default true), <see cref="GanTarget"/> is <see cref="Gt"/>
/// unless <c>GanGtUsm</c> (default false). Disposing the result disposes all three tensors.
/// </summary>
public sealed class RealEsrganDegradationResult : IDisposable
{
    internal RealEsrganDegradationResult(Tensor lq, Tensor gt, Tensor gtUsm, RealEsrganDegradationPlan plan, RealEsrganDegradationOptions options)
    {
        Lq = lq; Gt = gt; GtUsm = gtUsm; Plan = plan;
        L1Target = options.L1GtUsm ? gtUsm : gt;
        PerceptualTarget = options.PercepGtUsm ? gtUsm : gt;
        GanTarget = options.GanGtUsm ? gtUsm : gt;
    }

    /// <summary>Degraded low-quality batch <c>(B, 3, H // Scale, W // Scale)</c>, float32, 8-bit levels in [0, 1].</summary>
    public Tensor Lq { get; }
    /// <summary>The input GT (an alias of the caller's tensor), <c>(B, 3, H, W)</c> in [0, 1].</summary>
    public Tensor Gt { get; }
    /// <summary>USM-sharpened GT <c>(B, 3, H, W)</c> in [0, 1] (weight/threshold/radius from the options).</summary>
    public Tensor GtUsm { get; }
    /// <summary>The draws that produced <see cref="Lq"/>.</summary>
    public RealEsrganDegradationPlan Plan { get; }
    /// <summary>Target of the pixel (L1) loss: <see cref="GtUsm"/> if <c>L1GtUsm</c>, else <see cref="Gt"/>.</summary>
    public Tensor L1Target { get; }
    /// <summary>Target of the perceptual loss: <see cref="GtUsm"/> if <c>PercepGtUsm</c>, else <see cref="Gt"/>.</summary>
    public Tensor PerceptualTarget { get; }
    /// <summary>Real samples of the discriminator: <see cref="GtUsm"/> if <c>GanGtUsm</c>, else <see cref="Gt"/>.</summary>
    public Tensor GanTarget { get; }

    public void Dispose()
    {
        Lq.Dispose();
        Gt.Dispose();
        GtUsm.Dispose();
    }
}
