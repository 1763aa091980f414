using HfDiff.Torch.Archs.ResShift;
using HfDiff.Torch.Samplers;
using static TorchSharp.torch;

namespace HfDiff.Torch.Pipelines;

/// <summary>
/// Adapts a <see cref="VQModelTorch"/> to <see cref="ILatentAutoencoder"/> as the reference's first stage:
/// <see cref="Encode"/> = <c>quant_conv(encoder(x))</c> (not quantized, what the diffusion works on) and
/// <see cref="Decode"/> = <c>decode(z)</c>, which quantizes to the codebook before decoding
/// (<c>force_not_quantize=False</c> in <c>decode_first_stage</c>).
/// </summary>
public sealed class VQLatentAutoencoder : ILatentAutoencoder
{
    public VQLatentAutoencoder(VQModelTorch model) => Model = model ?? throw new ArgumentNullException(nameof(model));

    public VQModelTorch Model { get; }

    public Tensor Encode(Tensor image)
    {
        using var noGrad = no_grad();
        return Model.Encode(image);
    }

    public Tensor Decode(Tensor latent)
    {
        using var noGrad = no_grad();
        return Model.Decode(latent, forceNotQuantize: false);
    }
}
