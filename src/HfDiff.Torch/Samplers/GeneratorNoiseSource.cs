using TorchSharp;
using static TorchSharp.torch;

namespace HfDiff.Torch.Samplers;

/// <summary>
/// The default <see cref="INoiseSource"/>: draws from its own seeded <see cref="torch.Generator"/> (CPU), so runs are
/// reproducible and independent of the global RNG. Draws are made on the CPU and moved to the target device, which
/// keeps the stream the same on every device. (PyTorch's CUDA generator gives other numbers than its CPU one, so this
/// matches the reference's values only where the reference drew on the CPU with the same seed.)
/// </summary>
public sealed class GeneratorNoiseSource : INoiseSource, IDisposable
{
    readonly Generator _generator;

    public GeneratorNoiseSource(long seed = 12345)
    {
        _generator = new Generator((ulong)seed);
        Seed = seed;
    }

    public long Seed { get; }

    public Tensor RandnLike(Tensor like)
    {
        using var scope = NewDisposeScope();
        var noise = randn(like.shape, dtype: ScalarType.Float32, generator: _generator);
        if (like.device.type != DeviceType.CPU) noise = noise.to(like.device);
        return noise.MoveToOuterDisposeScope();
    }

    public void Dispose() => _generator.Dispose();
}
