using HfDiff.Torch.Samplers;
using TorchSharp;
using static TorchSharp.torch;

namespace HfDiff.Torch.Training.Core;

/// <summary>
/// The random stream of a training run: one CPU <see cref="torch.Generator"/> owned by the run (never the global one),
/// used for the diffusion noise and the timesteps, with its state saved in every checkpoint so a resumed run draws the
/// same numbers as an uninterrupted one. Draws are made on the CPU and moved to the target device.
/// </summary>
public sealed class TrainingRandom : INoiseSource, ITimestepSource, IDisposable
{
    readonly Generator _generator;

    public TrainingRandom(long seed) => _generator = new Generator((ulong)seed);

    public Tensor RandnLike(Tensor like)
    {
        using var scope = NewDisposeScope();
        var noise = randn(like.shape, dtype: ScalarType.Float32, generator: _generator);
        if (like.device.type != DeviceType.CPU) noise = noise.to(like.device);
        return noise.MoveToOuterDisposeScope();
    }

    public Tensor Sample(long batch, int numTimesteps, Device device)
    {
        using var scope = NewDisposeScope();
        var t = randint(0, numTimesteps, [batch], dtype: ScalarType.Int64, generator: _generator);
        if (device.type != DeviceType.CPU) t = t.to(device);
        return t.MoveToOuterDisposeScope();
    }

    /// <summary>The generator state (opaque bytes).</summary>
    public byte[] GetState()
    {
        using var state = _generator.get_state();
        return state.data<byte>().ToArray();
    }

    public void SetState(byte[] state)
    {
        ArgumentNullException.ThrowIfNull(state);
        using var t = tensor(state, dtype: ScalarType.Byte);
        _generator.set_state(t);
    }

    public void Dispose() => _generator.Dispose();
}
