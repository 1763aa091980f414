// Port of generate_gaussian_noise_pt / add_gaussian_noise_pt from XPixelGroup/BasicSR basicsr/data/degradations.py
// (commit 8d56e3a045f9fb3e1d8872f92ee4a4f07f886b0a).
using static TorchSharp.torch;

namespace HfDiff.Torch.Degradations;

/// <summary>Additive Gaussian noise on batched images <c>(B, C, H, W)</c> in [0, 1].</summary>
public static class GaussianNoise
{
    /// <summary>
    /// Noise <c>randn·σ/255</c> per sample. <paramref name="sigma"/> and <paramref name="gray"/> are <c>(B)</c> tensors
    /// (σ on the 0..255 scale; gray 0 or 1, blends colour and gray noise). When any sample is gray, ONE <c>[H, W]</c>
    /// field is drawn first and shared by all samples and channels (scaled per sample by σ); the colour field
    /// <c>[B, C, H, W]</c> is always drawn, even for gray samples; noise = colour·(1 − g) + gray·g.
    /// </summary>
    public static Tensor Generate(Tensor img, Tensor sigma, Tensor gray, INoiseSampler sampler)
    {
        CheckImage(img);
        ArgumentNullException.ThrowIfNull(sigma);
        ArgumentNullException.ThrowIfNull(gray);
        ArgumentNullException.ThrowIfNull(sampler);
        long b = img.shape[0], h = img.shape[2], w = img.shape[3];
        CheckPerSample(sigma, b, nameof(sigma));
        CheckPerSample(gray, b, nameof(gray));
        using var scope = NewDisposeScope();
        var s = sigma.to(img.dtype, img.device).view(b, 1, 1, 1);
        var g = gray.to(img.dtype, img.device).view(b, 1, 1, 1);
        bool anyGray = g.sum().item<float>() > 0;
        Tensor? noiseGray = null;
        if (anyGray)
        {
            // PORT-QUIRK(BasicSR, degradations.py): one [H, W] gray field for the whole batch.
            noiseGray = (sampler.Randn([h, w], img.dtype, img.device) * s / 255.0).view(b, 1, h, w);
        }
        var noise = sampler.Randn(img.shape, img.dtype, img.device) * s / 255.0;
        if (noiseGray is not null) noise = noise * (1 - g) + noiseGray * g;
        return noise.MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Noise with one σ for all samples (the reference's scalar-argument form). With <paramref name="gray"/> every
    /// sample gets the shared gray field (the reference's scalar gray path only works for a batch of one; this is its
    /// per-sample form with g = 1 everywhere).
    /// </summary>
    public static Tensor Generate(Tensor img, double sigma, bool gray, INoiseSampler sampler)
    {
        CheckImage(img);
        using var scope = NewDisposeScope();
        var (s, g) = NoiseOutput.PerSample(img, sigma, gray);
        return Generate(img, s, g, sampler).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// <c>add_gaussian_noise_pt</c>: <c>out = img + noise</c>; with <paramref name="clip"/> and <paramref name="rounds"/>
    /// <c>clamp(round(out·255), 0, 255)/255</c>; with clip only <c>clamp(out, 0, 1)</c>; with rounds only <c>round(out·255)/255</c>.
    /// </summary>
    public static Tensor Add(Tensor img, Tensor sigma, Tensor gray, INoiseSampler sampler, bool clip = true, bool rounds = false)
    {
        using var scope = NewDisposeScope();
        var noise = Generate(img, sigma, gray, sampler);
        return NoiseOutput.Finish(img + noise, clip, rounds).MoveToOuterDisposeScope();
    }

    /// <summary><see cref="Add(Tensor, Tensor, Tensor, INoiseSampler, bool, bool)"/> with one σ for all samples.</summary>
    public static Tensor Add(Tensor img, double sigma, bool gray, INoiseSampler sampler, bool clip = true, bool rounds = false)
    {
        CheckImage(img);
        using var scope = NewDisposeScope();
        var (s, g) = NoiseOutput.PerSample(img, sigma, gray);
        return Add(img, s, g, sampler, clip, rounds).MoveToOuterDisposeScope();
    }

    internal static void CheckImage(Tensor img)
    {
        ArgumentNullException.ThrowIfNull(img);
        if (img.dim() != 4) throw new ArgumentException($"img must be (B, C, H, W); got shape [{string.Join(", ", img.shape)}].", nameof(img));
        if (!img.is_floating_point()) throw new ArgumentException($"img must be a floating tensor; got {img.dtype}.", nameof(img));
    }

    internal static void CheckPerSample(Tensor t, long batch, string name)
    {
        if (t.numel() != batch) throw new ArgumentException($"{name} must have one value per sample ({batch}); got shape [{string.Join(", ", t.shape)}].", name);
    }
}

/// <summary>The shared clip/round tail of the noise functions.</summary>
internal static class NoiseOutput
{
    /// <summary>One value and gray flag for every sample, as the per-sample (B) tensors the noise functions take.</summary>
    public static (Tensor Value, Tensor Gray) PerSample(Tensor img, double value, bool gray) =>
        (full(img.shape[0], value, img.dtype, img.device), full(img.shape[0], gray ? 1.0 : 0.0, img.dtype, img.device));

    public static Tensor Finish(Tensor output, bool clip, bool rounds)
    {
        if (clip && rounds) return (output * 255.0).round().clamp(0, 255) / 255.0;
        if (clip) return output.clamp(0, 1);
        if (rounds) return (output * 255.0).round() / 255.0;
        return output;
    }
}
