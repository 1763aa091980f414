using HfDiff.Torch.Archs.ResShift;
using HfDiff.Torch.Losses.Distillation;
using TorchSharp;
using static TorchSharp.torch;

namespace HfDiff.Torch.Training.HfDiff;

/// <summary>
/// The decode of HF-Diff's image-domain terms: the frozen VQ's <c>Decode(z / scale_factor)</c> with gradients (quantized
/// straight-through, as <c>decode_first_stage</c>), and a traced decode whose input gradient is taken stage by stage
/// afterwards (<see cref="VQModelTorch.DecodeTraced"/>). With <see cref="HfDiffTermPrecision.Bf16"/> both run on a bf16 copy of
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

    /// <summary>
    /// <see cref="Decode"/> that keeps the decoder's stage inputs: the float32 image now (no graph) and ∂⟨Decode(z), g⟩/∂z
    /// later, stage by stage, without decoding again. The caller disposes the trace.
    /// </summary>
    public ILatentDecodeTrace DecodeTraced(Tensor z)
    {
        ArgumentNullException.ThrowIfNull(z);
        using var scope = NewDisposeScope();
        var trace = _vq.DecodeTraced(_scale == 1.0 ? z : z / _scale);
        return new Trace(trace, z.dtype, _scale);
    }

    public LatentDecoder AsDecoder() => Decode;
    public TracingLatentDecoder AsTracingDecoder() => DecodeTraced;

    /// <summary>The VQ's trace on the diffusion's latent scale, with the image in the latent's dtype.</summary>
    sealed class Trace : ILatentDecodeTrace
    {
        readonly VQDecodeTrace _trace;
        readonly Tensor? _converted;
        readonly double _scale;

        public Trace(VQDecodeTrace trace, ScalarType latentType, double scale)
        {
            _trace = trace;
            _scale = scale;
            if (trace.Image.dtype != latentType) _converted = trace.Image.to_type(latentType).DetachFromDisposeScope();
        }

        public Tensor Image => _converted ?? _trace.Image;

        public Tensor InputGradient(Tensor upstream)
        {
            if (_scale == 1.0) return _trace.InputGradient(upstream);
            using var gz = _trace.InputGradient(upstream);
            return gz / _scale;
        }

        public void Dispose()
        {
            _converted?.Dispose();
            _trace.Dispose();
        }
    }

    public void Dispose() => _copy?.Dispose();
}
