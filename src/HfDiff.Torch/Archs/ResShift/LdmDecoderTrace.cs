using TorchSharp;
using static TorchSharp.torch;

namespace HfDiff.Torch.Archs.ResShift;

/// <summary>
/// A <see cref="LdmDecoder"/> forward that keeps each stage's input (without a graph), so that the input gradient can be
/// back-propagated stage by stage afterwards without running the forward again: each stage is re-run with a graph from
/// its kept input and back-propagated alone, last to first. Peak memory is the stage inputs plus one stage's activations
/// instead of every activation of the decoder; values equal the full backward's (same operations: the stages run in the
/// grad mode of a training forward, only from inputs that need no gradient). The trace owns its tensors.
/// </summary>
public sealed class LdmDecoderTrace : IDisposable
{
    readonly IReadOnlyList<Func<Tensor, Tensor>> _stages;
    readonly List<Tensor?> _inputs;
    bool _used, _disposed;

    internal LdmDecoderTrace(IReadOnlyList<Func<Tensor, Tensor>> stages, Tensor z)
    {
        ArgumentNullException.ThrowIfNull(z);
        _stages = stages;
        _inputs = new List<Tensor?>(stages.Count);
        using var gradMode = enable_grad();   // as in a training forward (e.g. the attention's op order), also under no_grad callers
        try
        {
            var h = z.detach().DetachFromDisposeScope();
            foreach (var stage in stages)
            {
                _inputs.Add(h);
                using var y = stage(h);
                h = y.detach().DetachFromDisposeScope();
            }
            Output = h;
        }
        catch
        {
            foreach (var t in _inputs) t?.Dispose();
            throw;
        }
    }

    /// <summary>The decoder's output (no graph), owned by the trace.</summary>
    public Tensor Output { get; }

    /// <summary>∂⟨forward(z), <paramref name="upstream"/>⟩/∂z; the caller owns the result. Once per trace: each stage input is
    /// freed as soon as its stage has been back-propagated.</summary>
    public Tensor InputGradient(Tensor upstream)
    {
        ArgumentNullException.ThrowIfNull(upstream);
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_used) throw new InvalidOperationException("The decoder trace's input gradient was already taken; its stage inputs are freed.");
        _used = true;
        using var gradMode = enable_grad();
        var g = upstream.detach();
        for (int k = _stages.Count - 1; k >= 0; k--)
        {
            using var scope = NewDisposeScope();
            var x = _inputs[k]!.detach().requires_grad_(true);
            var y = _stages[k](x);
            var gx = torch.autograd.grad([y], [x], [g])[0];
            if (!ReferenceEquals(g, upstream)) g.Dispose();
            _inputs[k]!.Dispose();
            _inputs[k] = null;
            g = gx.MoveToOuterDisposeScope();
        }
        return g;
    }

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        for (int k = 0; k < _inputs.Count; k++) { _inputs[k]?.Dispose(); _inputs[k] = null; }
        Output.Dispose();
    }
}
