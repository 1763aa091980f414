using HfDiff.Torch.Archs.ResShift;
using HfDiff.Torch.Samplers;
using static TorchSharp.torch;

namespace HfDiff.Torch.Pipelines;

/// <summary>
/// Adapts a <see cref="VQModelTorch"/> to <see cref="ILatentAutoencoder"/> as the reference's first stage:
/// <see cref="Encode"/> = <c>quant_conv(encoder(x))</c> (not quantized, what the diffusion works on) and
/// <see cref="Decode"/> = <c>decode(z)</c>, which quantizes to the codebook before decoding
/// (<c>force_not_quantize=False</c> in <c>decode_first_stage</c>).
/// With <see cref="ChannelsLast"/> the network runs on channels-last maps (convert its weights once with
/// <see cref="Pipelines.ChannelsLast.ConvertParameters"/>); inputs and outputs stay plain contiguous NCHW.
/// </summary>
public sealed class VQLatentAutoencoder : ILatentAutoencoder
{
    public VQLatentAutoencoder(VQModelTorch model, bool channelsLast = false)
    {
        Model = model ?? throw new ArgumentNullException(nameof(model));
        ChannelsLast = channelsLast;
    }

    public VQModelTorch Model { get; }

    /// <summary>Feed the network channels-last maps (same values; another convolution kernel layout on the CPU).</summary>
    public bool ChannelsLast { get; }

    public Tensor Encode(Tensor image)
    {
        using var noGrad = no_grad();
        if (!ChannelsLast) return Model.Encode(image);
        using var scope = NewDisposeScope();
        // The UNet's Swin layers need NCHW-contiguous latents (they use view()), so the latent leaves contiguous.
        return Model.Encode(Pipelines.ChannelsLast.To(image)).contiguous().MoveToOuterDisposeScope();
    }

    public Tensor Decode(Tensor latent)
    {
        using var noGrad = no_grad();
        if (!ChannelsLast) return Model.Decode(latent, forceNotQuantize: false);
        using var scope = NewDisposeScope();
        return Model.Decode(Pipelines.ChannelsLast.To(latent), forceNotQuantize: false).contiguous().MoveToOuterDisposeScope();
    }
}
