using Microsoft.ML.Runtime;

namespace HfDiff.MLNet.Common;

/// <summary>
/// Picks the torch device: an explicit option wins (<c>"cpu"</c> too: null or blank is "unset", never <c>"cpu"</c>);
/// else MLContext.GpuDeviceId (with FallbackToCpu); else CPU.
/// </summary>
internal static class DeviceSelection
{
    public static string Resolve(string? explicitDevice, IHostEnvironment env)
    {
        if (!string.IsNullOrWhiteSpace(explicitDevice))
        {
            Torch.TorchDevices.Parse(explicitDevice, "Device");   // an unknown or unavailable device fails here, not at the first row
            return explicitDevice!;
        }
        var (gpu, fallback) = MLNetInternals.GpuSettings(env);
        if (gpu is int id)
        {
            if (TorchSharp.torch.cuda.is_available()) return $"cuda:{id}";
            if (fallback) return "cpu";
            throw new InvalidOperationException($"MLContext.GpuDeviceId is {id} but CUDA is not available (this build uses the CPU libtorch; build with -p:HfDiffTorchBackend=cuda) and FallbackToCpu is false.");
        }
        return "cpu";
    }
}
