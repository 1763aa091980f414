using HfDiff.Torch.Archs.ResShift;
using HfDiff.Torch.Samplers;
using static TorchSharp.torch;

namespace HfDiff.Torch.Pipelines;

/// <summary>
/// Adapts a <see cref="UNetModelSwin"/> to the samplers' <see cref="LatentDenoiser"/>: the network gets the already scaled
/// latent, the mapped int64 timesteps and the padded LR image as <c>lq</c> (no mask), as the reference's
/// <c>model(self._scale_input(x, t), t, **model_kwargs)</c>.
/// </summary>
public sealed class UNetLatentDenoiser
{
    public UNetLatentDenoiser(UNetModelSwin network) => Network = network ?? throw new ArgumentNullException(nameof(network));

    public UNetModelSwin Network { get; }

    /// <inheritdoc cref="LatentDenoiser"/>
    public Tensor Denoise(Tensor scaledInput, Tensor timesteps, Tensor lq)
    {
        using var noGrad = no_grad();
        var type = Network.ParameterType;
        if (type == scaledInput.dtype) return Network.Forward(scaledInput, timesteps, lq);
        // Reduced-precision network (bf16/fp16): in its dtype, out as the sampler's dtype.
        using var scope = NewDisposeScope();
        return Network.Forward(scaledInput.to_type(type), timesteps, lq.to_type(type)).to_type(scaledInput.dtype).MoveToOuterDisposeScope();
    }

    /// <summary>The <see cref="LatentDenoiser"/> delegate the samplers take.</summary>
    public LatentDenoiser AsDelegate() => Denoise;
}
