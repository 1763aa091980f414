using TorchSharp;
using static TorchSharp.torch;

namespace HfDiff.Torch.Archs.ResShift;

/// <summary>
/// <see cref="VQModelTorch.Decode"/> with the decoder's stage inputs kept (<see cref="LdmDecoderTrace"/>), so that
/// <see cref="InputGradient"/> back-propagates stage by stage without decoding again. The quantizer passes the gradient
/// straight through (z + (z_q − z).detach(), as in Decode). The trace owns its tensors.
/// </summary>
public sealed class VQDecodeTrace : IDisposable
{
    readonly Tensor _decoderInput;            // what post_quant_conv takes (quantized unless forced not to), detached
    readonly Func<Tensor, Tensor> _postQuantConv;
    readonly LdmDecoderTrace _decoder;
    readonly ScalarType _latentType;
    bool _disposed;

    internal VQDecodeTrace(Tensor decoderInput, Func<Tensor, Tensor> postQuantConv, Func<Tensor, LdmDecoderTrace> decoder, ScalarType latentType)
    {
        _decoderInput = decoderInput.detach().DetachFromDisposeScope();
        _postQuantConv = postQuantConv;
        _latentType = latentType;
        try
        {
            using var scope = NewDisposeScope();
            Tensor y;
            using (no_grad()) y = postQuantConv(_decoderInput);
            _decoder = decoder(y);
        }
        catch { _decoderInput.Dispose(); throw; }
    }

    /// <summary>The decoded image (no graph) in the decoder's dtype, owned by the trace.</summary>
    public Tensor Image => _decoder.Output;

    /// <summary>∂⟨Decode(h), <paramref name="upstream"/>⟩/∂h in h's dtype (a bf16 decoder takes the upstream gradient in its
    /// own dtype); the caller owns the result. Once per trace.</summary>
    public Tensor InputGradient(Tensor upstream)
    {
        ArgumentNullException.ThrowIfNull(upstream);
        using var scope = NewDisposeScope();
        using var gradMode = enable_grad();
        var gy = _decoder.InputGradient(upstream.dtype == Image.dtype ? upstream : upstream.to_type(Image.dtype));
        var x = _decoderInput.detach().requires_grad_(true);
        var y = _postQuantConv(x);
        var gx = torch.autograd.grad([y], [x], [gy])[0];
        return gx.to_type(_latentType).MoveToOuterDisposeScope();
    }

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        _decoder?.Dispose();
        _decoderInput.Dispose();
    }
}
