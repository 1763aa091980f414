using static TorchSharp.torch;

namespace HfDiff.Torch.Degradations;

/// <summary>
/// <see cref="INoiseSampler"/> that answers the calls, in order, with stored tensors (e.g. the fixed draws of a parity
/// fixture). Each answer must have the requested shape; a call with no answer left, or with the wrong shape, throws.
/// The caller keeps ownership of the stored tensors; answers are returned as copies.
/// </summary>
public sealed class ReplayNoiseSampler : INoiseSampler
{
    readonly Queue<(string Name, Tensor Value)> _answers = new();

    /// <summary>Queues the answer to the next call (a name is used in error messages).</summary>
    public ReplayNoiseSampler Enqueue(string name, Tensor value)
    {
        ArgumentNullException.ThrowIfNull(value);
        _answers.Enqueue((name, value));
        return this;
    }

    /// <summary>Answers not yet consumed.</summary>
    public int Remaining => _answers.Count;

    /// <summary>The rates passed to each <see cref="Poisson"/> call, for debugging (copies, owned by this object's caller).</summary>
    public List<Tensor> SeenPoissonRates { get; } = new();

    public Tensor Randn(long[] shape, ScalarType dtype, Device device) => Answer(Next("randn", shape), dtype, device);

    public Tensor Poisson(Tensor rates)
    {
        ArgumentNullException.ThrowIfNull(rates);
        SeenPoissonRates.Add(rates.detach().clone().DetachFromDisposeScope());
        return Answer(Next("poisson", rates.shape), rates.dtype, rates.device);
    }

    Tensor Next(string call, long[] shape)
    {
        if (_answers.Count == 0) throw new InvalidOperationException($"No stored draw left for the {call} call of shape [{string.Join(", ", shape)}].");
        var (name, value) = _answers.Dequeue();
        if (!value.shape.SequenceEqual(shape))
            throw new InvalidOperationException($"Stored draw '{name}' has shape [{string.Join(", ", value.shape)}], but the {call} call asks for [{string.Join(", ", shape)}].");
        return value;
    }

    static Tensor Answer(Tensor stored, ScalarType dtype, Device device)
    {
        using var moved = stored.to(dtype, device);
        return moved.clone();
    }
}
