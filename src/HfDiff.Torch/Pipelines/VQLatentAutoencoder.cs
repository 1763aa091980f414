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
    public VQLatentAutoencoder(VQModelTorch model, bool channelsLast = false, ScalarType computeType = ScalarType.Float32)
    {
        Model = model ?? throw new ArgumentNullException(nameof(model));
        ChannelsLast = channelsLast;
        ComputeType = computeType;
    }

    /// <summary>The dtype of the network's convolutions (bf16/fp16 for reduced-precision inference); inputs are cast to it
    /// and results come back float32, so the sampler's arithmetic stays float32.</summary>
    public ScalarType ComputeType { get; }

    public VQModelTorch Model { get; }

    /// <summary>Feed the network channels-last maps (same values; another convolution kernel layout on the CPU).</summary>
    public bool ChannelsLast { get; }

    public Tensor Encode(Tensor image)
    {
        using var noGrad = no_grad();
        if (ComputeType != ScalarType.Float32)
        {
            using var scope32 = NewDisposeScope();
            var x = image.to_type(ComputeType);
            var z = Model.Encode(ChannelsLast ? Pipelines.ChannelsLast.To(x) : x);
            return z.to_type(ScalarType.Float32).contiguous().MoveToOuterDisposeScope();
        }
        if (!ChannelsLast) return Model.Encode(image);
        using var scope = NewDisposeScope();
        // The UNet's Swin layers need NCHW-contiguous latents (they use view()), so the latent leaves contiguous.
        return Model.Encode(Pipelines.ChannelsLast.To(image)).contiguous().MoveToOuterDisposeScope();
    }

    public Tensor Decode(Tensor latent)
    {
        using var noGrad = no_grad();
        if (ComputeType != ScalarType.Float32)
        {
            // The latent stays float32 into the float32 codebook search; Decode enters the decoder in its dtype.
            using var scope32 = NewDisposeScope();
            var y = Model.Decode(ChannelsLast ? Pipelines.ChannelsLast.To(latent) : latent, forceNotQuantize: false);
            return y.to_type(ScalarType.Float32).contiguous().MoveToOuterDisposeScope();
        }
        if (!ChannelsLast) return Model.Decode(latent, forceNotQuantize: false);
        using var scope = NewDisposeScope();
        return Model.Decode(Pipelines.ChannelsLast.To(latent), forceNotQuantize: false).contiguous().MoveToOuterDisposeScope();
    }
}
