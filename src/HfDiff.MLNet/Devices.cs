using System.Globalization;

namespace HfDiff.MLNet;

/// <summary>
/// Torch device names for the <c>Device</c> options and <c>device</c> parameters (null there means unset: MLContext.GpuDeviceId
/// and FallbackToCpu decide). The string options take the same values.
/// </summary>
public static class Devices
{
    /// <summary>The CPU; as an explicit setting it wins over MLContext.GpuDeviceId.</summary>
    public const string Cpu = "cpu";
    /// <summary>The current CUDA device.</summary>
    public const string Cuda = "cuda";

    /// <summary>CUDA device <paramref name="index"/> (<c>cuda:N</c>).</summary>
    public static string CudaAt(int index) =>
        index >= 0 ? $"cuda:{index.ToString(CultureInfo.InvariantCulture)}" : throw new ArgumentOutOfRangeException(nameof(index), index, "A CUDA device index is >= 0.");
}
