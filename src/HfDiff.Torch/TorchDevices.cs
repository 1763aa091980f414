using TorchSharp;
using static TorchSharp.torch;

namespace HfDiff.Torch;

/// <summary>Device strings of the options (<c>cpu</c>, <c>cuda</c>, <c>cuda:N</c>) to torch devices, with errors a user can act on.</summary>
public static class TorchDevices
{
    /// <summary>
    /// Parses <paramref name="device"/>; a CUDA device on a build or machine without CUDA is refused here, with a
    /// message, instead of failing later inside libtorch. <paramref name="optionName"/> names the option in errors.
    /// </summary>
    public static Device Parse(string? device, string optionName = "Device")
    {
        if (string.IsNullOrWhiteSpace(device))
            throw new ArgumentException($"{optionName} must be \"cpu\", \"cuda\" or \"cuda:N\"; got an empty string.", optionName);
        // torch.device("cuda") itself fails without a CUDA backend, with a message about native loading; say it plainly.
        if (device.Trim().StartsWith("cuda", StringComparison.OrdinalIgnoreCase) && !cuda.is_available())
            throw new ArgumentException($"{optionName} '{device}' was requested but CUDA is not available (this build uses the CPU libtorch; " +
                                        "build with -p:HfDiffTorchBackend=cuda on a machine with an NVIDIA driver).", optionName);
        Device d;
        try { d = torch.device(device); }
        catch (Exception e) when (e is ArgumentException or FormatException or InvalidOperationException)
        {
            throw new ArgumentException($"{optionName} '{device}' is not a torch device (\"cpu\", \"cuda\", \"cuda:0\", …): {e.Message}", optionName, e);
        }
        if (d.type == DeviceType.CUDA && d.index >= cuda.device_count())
            throw new ArgumentException($"{optionName} '{device}': there are only {cuda.device_count()} CUDA devices.", optionName);
        return d;
    }
}
