using static TorchSharp.torch;

namespace HfDiff.Torch.Samplers;

/// <summary>
/// Hands a batch of B tiles the draws they get when run one after another on one stream: tile i's j-th draw is the
/// stream's draw i·K + j, K = <paramref name="drawsPerSample"/>. On its first call it takes all B·K draws from
/// <paramref name="inner"/> in that order, so batching tiles changes nothing but the batch dimension. One instance per batch.
/// </summary>
public sealed class TileBatchNoiseSource : INoiseSource, IDisposable
{
    readonly INoiseSource _inner;
    readonly int _drawsPerSample;
    Tensor[]? _draws;
    int _calls;

    public TileBatchNoiseSource(INoiseSource inner, int drawsPerSample)
    {
        _inner = inner ?? throw new ArgumentNullException(nameof(inner));
        if (drawsPerSample < 1) throw new ArgumentOutOfRangeException(nameof(drawsPerSample), drawsPerSample, "must be >= 1");
        _drawsPerSample = drawsPerSample;
    }

    public Tensor RandnLike(Tensor like)
    {
        long b = like.shape[0];
        if (_draws is null)
        {
            using var one = like[..1];
            _draws = new Tensor[b * _drawsPerSample];
            for (int i = 0; i < _draws.Length; i++)
            {
                _draws[i] = _inner.RandnLike(one);
                _draws[i].DetachFromDisposeScope();
            }
        }
        if (_calls >= _drawsPerSample || b * _drawsPerSample != _draws.Length)
            throw new InvalidOperationException(
                $"The sampler drew {_calls + 1} noise tensors for a batch of {b}, but declared {_drawsPerSample} draws per sample.");
        var parts = new Tensor[b];
        for (long i = 0; i < b; i++) parts[i] = _draws[i * _drawsPerSample + _calls];
        _calls++;
        return cat(parts, 0);
    }

    public void Dispose()
    {
        if (_draws is null) return;
        foreach (var t in _draws) t.Dispose();
        _draws = null;
    }
}
