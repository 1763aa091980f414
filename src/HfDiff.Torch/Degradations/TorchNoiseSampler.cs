using static TorchSharp.torch;

namespace HfDiff.Torch.Degradations;

/// <summary>
/// <see cref="INoiseSampler"/> backed by a seeded torch CPU generator: the same seed gives the same draws run to run
/// (on the same libtorch). Draws are made on the CPU and moved to the requested device.
/// </summary>
public sealed class TorchNoiseSampler : INoiseSampler, IDisposable
{
    readonly Generator _generator;

    public TorchNoiseSampler(long seed)
    {
        _generator = new Generator(unchecked((ulong)seed), CPU);
    }

    public Tensor Randn(long[] shape, ScalarType dtype, Device device)
    {
        ArgumentNullException.ThrowIfNull(shape);
        using var cpu = randn(shape, dtype, CPU, generator: _generator);
        return cpu.to(device);
    }

    public Tensor Poisson(Tensor rates)
    {
        ArgumentNullException.ThrowIfNull(rates);
        using var r = rates.detach().cpu();
        using var cpu = poisson(r, _generator);
        return cpu.to(rates.device);
    }

    public void Dispose() => _generator.Dispose();
}
