using static TorchSharp.torch;

namespace HfDiff.Torch.Samplers;

/// <summary>
/// The first-stage autoencoder the latent SR samplers work in (ResShift/SinSR use <c>VQModelTorch</c>, f4).
/// </summary>
public interface ILatentAutoencoder
{
    /// <summary>(B, 3, H, W) image in [−1, 1] → (B, C, H/f, W/f) latent (for the VQGAN: <c>quant_conv(encoder(x))</c>, not quantized).</summary>
    Tensor Encode(Tensor image);

    /// <summary>(B, C, h, w) latent → (B, 3, h·f, w·f) image, nominally [−1, 1] (for the VQGAN this quantizes first).</summary>
    Tensor Decode(Tensor latent);
}
