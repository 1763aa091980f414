using TorchSharp;
using static TorchSharp.torch;

namespace HfDiff.Torch.Pipelines;

/// <summary>Arithmetic of the SR networks at inference.</summary>
public enum InferencePrecision
{
    /// <summary>float32 everywhere (the reference's CPU path; the default).</summary>
    Fp32,
    /// <summary>bfloat16 weights and activations in the UNet and the VQGAN convolutions; the VQ codebook lookup,
    /// GroupNorm statistics and the sampler's arithmetic stay float32. Fast on CPUs with AVX512_BF16 or AMX.</summary>
    Bf16,
    /// <summary>float16 likewise (CUDA; most CPU kernels lack float16).</summary>
    Fp16,
    /// <summary>bf16 on CPUs that report avx512_bf16 or amx_bf16, fp16 on CUDA, else fp32.</summary>
    Auto,
}

public static class InferencePrecisions
{
    public static InferencePrecision Parse(string text) => text.Trim().ToLowerInvariant() switch
    {
        "fp32" or "float32" => InferencePrecision.Fp32,
        "bf16" or "bfloat16" => InferencePrecision.Bf16,
        "fp16" or "float16" or "half" => InferencePrecision.Fp16,
        "auto" => InferencePrecision.Auto,
        _ => throw new ArgumentException($"precision must be fp32, bf16, fp16 or auto; got '{text}'."),
    };

    public static string Name(InferencePrecision p) => p.ToString().ToLowerInvariant();

    /// <summary>The precision <see cref="InferencePrecision.Auto"/> means on <paramref name="device"/>, and why.</summary>
    public static (InferencePrecision Precision, string Reason) Resolve(InferencePrecision requested, Device device)
    {
        if (requested != InferencePrecision.Auto) return (requested, "as requested");
        if (device.type == DeviceType.CUDA) return (InferencePrecision.Fp16, "CUDA device");
        var flags = CpuFlags();
        if (flags.Contains("amx_bf16")) return (InferencePrecision.Bf16, "CPU has AMX-BF16");
        if (flags.Contains("avx512_bf16")) return (InferencePrecision.Bf16, "CPU has AVX512_BF16");
        return (InferencePrecision.Fp32, "CPU without bf16 instructions");
    }

    public static ScalarType ScalarType(InferencePrecision p) => p switch
    {
        InferencePrecision.Bf16 => TorchSharp.torch.ScalarType.BFloat16,
        InferencePrecision.Fp16 => TorchSharp.torch.ScalarType.Float16,
        InferencePrecision.Fp32 => TorchSharp.torch.ScalarType.Float32,
        _ => throw new ArgumentException("Resolve Auto first."),
    };

    /// <summary>The CPU feature flags of /proc/cpuinfo (Linux); empty elsewhere.</summary>
    public static IReadOnlySet<string> CpuFlags()
    {
        try
        {
            if (!File.Exists("/proc/cpuinfo")) return new HashSet<string>();
            var line = File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("flags", StringComparison.Ordinal));
            return line is null ? new HashSet<string>() : line[(line.IndexOf(':') + 1)..].Split(' ', StringSplitOptions.RemoveEmptyEntries).ToHashSet();
        }
        catch (IOException) { return new HashSet<string>(); }
    }
}
