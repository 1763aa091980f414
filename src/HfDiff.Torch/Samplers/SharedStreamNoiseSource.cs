using static TorchSharp.torch;

namespace HfDiff.Torch.Samplers;

/// <summary>
/// Gives every element of a batch the draws it would get if it were super-resolved alone with a fresh seed: each
/// <see cref="RandnLike"/> draws one sample's worth from <paramref name="inner"/> and repeats it over the batch. This is what
/// batching whole images needs, since every single-image call restarts the noise from the same seed.
/// </summary>
public sealed class SharedStreamNoiseSource(INoiseSource inner) : INoiseSource
{
    readonly INoiseSource _inner = inner ?? throw new ArgumentNullException(nameof(inner));

    public Tensor RandnLike(Tensor like)
    {
        if (like.shape[0] == 1) return _inner.RandnLike(like);
        using var scope = NewDisposeScope();
        var one = _inner.RandnLike(like[..1]);
        var reps = new long[like.dim()];
        Array.Fill(reps, 1L);
        reps[0] = like.shape[0];
        return one.repeat(reps).MoveToOuterDisposeScope();
    }
}
