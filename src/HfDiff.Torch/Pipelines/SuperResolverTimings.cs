namespace HfDiff.Torch.Pipelines;

/// <summary>Wall-clock time of one <see cref="SuperResolver.SuperResolve(TorchSharp.torch.Tensor)"/> call, summed over tiles.</summary>
/// <param name="EncodeMs">VQGAN encoder (bicubic upsampling excluded).</param>
/// <param name="DenoiserMs">All UNet forwards.</param>
/// <param name="DecodeMs">VQGAN quantize + decoder.</param>
/// <param name="TotalMs">The whole call, including checks, padding, upsampling, sampler arithmetic and blending.</param>
/// <param name="DenoiserCalls">Number of UNet forwards (steps × tiles).</param>
public sealed record SuperResolverTimings(double EncodeMs, double DenoiserMs, double DecodeMs, double TotalMs, int DenoiserCalls)
{
    public static SuperResolverTimings None { get; } = new(0, 0, 0, 0, 0);

    /// <summary>One readable line: <c>encode 2.31 s, denoiser 0.90 s (1 call), decode 4.80 s, total 8.01 s</c>.</summary>
    public override string ToString() => string.Create(System.Globalization.CultureInfo.InvariantCulture,
        $"encode {EncodeMs / 1000:F2} s, denoiser {DenoiserMs / 1000:F2} s ({DenoiserCalls} call{(DenoiserCalls == 1 ? "" : "s")}), decode {DecodeMs / 1000:F2} s, total {TotalMs / 1000:F2} s");
}
