using HfDiff.Torch.Archs.ResShift;
using HfDiff.Torch.Losses.Distillation;
using TorchSharp;
using static TorchSharp.torch;

namespace HfDiff.Torch.Training.HfDiff;

/// <summary>
/// The decode of HF-Diff's image-domain terms: the frozen VQ's <c>Decode(z / scale_factor)</c> with gradients (quantized
/// straight-through, as <c>decode_first_stage</c>), and its input gradient taken stage by stage
/// (<see cref="VQModelTorch.DecodeInputGradient"/>). With <see cref="HfDiffTermPrecision.Bf16"/> both run on a bf16 copy of
/// the VQ (made here, disposed with this object; the codebook search stays float32) and return float32, so the terms and
/// the student see float32 tensors.
/// </summary>
public sealed class ImageTermDecoder : IDisposable
{
    readonly VQModelTorch _vq;
    readonly VQModelTorch? _copy;
    readonly double _scale;

    /// <param name="autoencoder">The frozen VQ (float32); not changed.</param>
    /// <param name="scaleFactor">The diffusion's latent scale (<c>scale_factor</c>): the decoder sees z / scale.</param>
    public ImageTermDecoder(VQModelTorch autoencoder, double scaleFactor, HfDiffTermPrecision precision = HfDiffTermPrecision.Fp32)
    {
        ArgumentNullException.ThrowIfNull(autoencoder);
        if (!(scaleFactor > 0 && double.IsFinite(scaleFactor)))
            throw new ArgumentOutOfRangeException(nameof(scaleFactor), scaleFactor, $"scaleFactor must be finite and > 0; got {scaleFactor}.");
        if (!Enum.IsDefined(precision)) throw new ArgumentOutOfRangeException(nameof(precision), precision, "precision must be Fp32 or Bf16.");
        _scale = scaleFactor;
        Precision = precision;
        if (precision == HfDiffTermPrecision.Fp32) { _vq = autoencoder; return; }
        _copy = new VQModelTorch(autoencoder.Options);
        try
        {
            using (no_grad())
            {
                var source = autoencoder.state_dict();
                foreach (var (name, t) in _copy.state_dict()) t.copy_(source[name]);
            }
            _copy.to(autoencoder.LastLayerWeight.device);
            FrozenModules.Freeze(_copy);
            _copy.ToComputeType(ScalarType.BFloat16);
        }
        catch { _copy.Dispose(); throw; }
        _vq = _copy;
    }

    public HfDiffTermPrecision Precision { get; }

    /// <summary>(B, C, h, w) latent at the diffusion's scale → (B, 3, H, W) float32 image with the graph back to the latent.</summary>
    public Tensor Decode(Tensor z)
    {
        using var scope = NewDisposeScope();
        var image = _vq.Decode(_scale == 1.0 ? z : z / _scale);
        return (image.dtype == z.dtype ? image : image.to_type(z.dtype)).MoveToOuterDisposeScope();
    }

    /// <summary>∂⟨<see cref="Decode"/>(z), g⟩/∂z, stage by stage through the decoder, in z's dtype.</summary>
    public Tensor InputGradient(Tensor z, Tensor g)
    {
        using var scope = NewDisposeScope();
        var gz = _vq.DecodeInputGradient(_scale == 1.0 ? z : z / _scale, g);
        return (_scale == 1.0 ? gz : gz / _scale).MoveToOuterDisposeScope();
    }

    public LatentDecoder AsDecoder() => Decode;
    public LatentDecoderInputGradient AsInputGradient() => InputGradient;

    public void Dispose() => _copy?.Dispose();
}
