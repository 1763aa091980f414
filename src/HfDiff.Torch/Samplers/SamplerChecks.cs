using static TorchSharp.torch;

namespace HfDiff.Torch.Samplers;

/// <summary>Argument checks shared by the samplers (messages name the parameter and the problem).</summary>
static class SamplerChecks
{
    public static void Latent(Tensor x, string name)
    {
        if (x.dim() != 4)
            throw new ArgumentException($"{name} must be a (B, C, H, W) tensor; got {x.dim()} dims [{string.Join(", ", x.shape)}].", name);
        // float32 normally; float64 for our own precision references, reduced precision for bf16/fp16 inference.
        if (!x.is_floating_point())
            throw new ArgumentException($"{name} must be a floating-point tensor; got {x.dtype}.", name);
    }

    public static void SameShape(Tensor expected, Tensor actual, string name, string what)
    {
        if (!expected.shape.SequenceEqual(actual.shape))
            throw new ArgumentException($"{name} has shape [{string.Join(", ", actual.shape)}]; expected {what} [{string.Join(", ", expected.shape)}].", name);
    }

    public static void Timestep(int t, int numTimesteps, string name)
    {
        if (t < 0 || t >= numTimesteps)
            throw new ArgumentOutOfRangeException(name, $"{name} must be in [0, {numTimesteps - 1}]; got {t}.");
    }

    /// <summary>Runs the denoiser and checks that it honoured the contract.</summary>
    public static Tensor CallDenoiser(LatentDenoiser denoiser, Tensor input, Tensor t, Tensor lq)
    {
        var output = denoiser(input, t, lq) ?? throw new InvalidOperationException("The denoiser returned null.");
        if (!output.shape.SequenceEqual(input.shape))
            throw new InvalidOperationException(
                $"The denoiser returned shape [{string.Join(", ", output.shape)}] for input [{string.Join(", ", input.shape)}]; they must match.");
        return output;
    }

    /// <summary>PyTorch <c>noise[0,].repeat(B, 1, 1, 1)</c> (<c>noise_repeat=True</c>).</summary>
    public static Tensor RepeatFirst(Tensor noise) =>
        noise.shape[0] == 1 ? noise.alias() : noise[0].unsqueeze(0).repeat(noise.shape[0], 1, 1, 1);
}
