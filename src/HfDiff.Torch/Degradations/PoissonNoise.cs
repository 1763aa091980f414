// Port of generate_poisson_noise_pt / add_poisson_noise_pt from XPixelGroup/BasicSR basicsr/data/degradations.py
// (commit 8d56e3a045f9fb3e1d8872f92ee4a4f07f886b0a) and rgb_to_grayscale of torchvision (0.2989, 0.587, 0.114).
using static TorchSharp.torch;

namespace HfDiff.Torch.Degradations;

/// <summary>Poisson (shot) noise on batched images <c>(B, 3, H, W)</c> in [0, 1].</summary>
public static class PoissonNoise
{
    /// <summary>
    /// Noise scaled per sample by <paramref name="scale"/> <c>(B)</c>; <paramref name="gray"/> <c>(B)</c> (0 or 1)
    /// blends colour and gray noise. Per sample: <c>img_r = clamp(round(img·255), 0, 255)/255</c>,
    /// <c>vals = 2^ceil(log2(#distinct values of img_r over all its channels))</c>, <c>noise = poisson(img_r·vals)/vals − img_r</c>
    /// (relative to the rounded image). Gray noise (drawn first, when any sample is gray) does the same on the
    /// grayscale image and is expanded to 3 channels.
    /// </summary>
    public static Tensor Generate(Tensor img, Tensor scale, Tensor gray, INoiseSampler sampler)
    {
        GaussianNoise.CheckImage(img);
        ArgumentNullException.ThrowIfNull(scale);
        ArgumentNullException.ThrowIfNull(gray);
        ArgumentNullException.ThrowIfNull(sampler);
        long b = img.shape[0], c = img.shape[1], h = img.shape[2], w = img.shape[3];
        GaussianNoise.CheckPerSample(scale, b, nameof(scale));
        GaussianNoise.CheckPerSample(gray, b, nameof(gray));
        using var scope = NewDisposeScope();
        var g = gray.to(img.dtype, img.device).view(b, 1, 1, 1);
        bool anyGray = g.sum().item<float>() > 0;
        Tensor? noiseGray = null;
        if (anyGray)
        {
            if (c != 3) throw new ArgumentException($"gray Poisson noise needs RGB images (3 channels); got {c}.", nameof(img));
            var imgGray = RgbToGray(img);
            noiseGray = ShotNoise(imgGray, sampler).expand(b, 3, h, w);
        }
        var noise = ShotNoise(img, sampler);
        if (noiseGray is not null) noise = noise * (1 - g) + noiseGray * g;
        var result = noise * scale.to(img.dtype, img.device).view(b, 1, 1, 1);
        return result.MoveToOuterDisposeScope();
    }

    /// <summary>Noise with one scale and gray flag for all samples (the reference's scalar-argument form).</summary>
    public static Tensor Generate(Tensor img, double scale, bool gray, INoiseSampler sampler)
    {
        GaussianNoise.CheckImage(img);
        using var scope = NewDisposeScope();
        var (s, g) = NoiseOutput.PerSample(img, scale, gray);
        return Generate(img, s, g, sampler).MoveToOuterDisposeScope();
    }

    /// <summary><c>add_poisson_noise_pt</c>: <c>out = img + noise</c> (the unrounded image), then clip/round as in <see cref="GaussianNoise.Add(Tensor, Tensor, Tensor, INoiseSampler, bool, bool)"/>.</summary>
    public static Tensor Add(Tensor img, Tensor scale, Tensor gray, INoiseSampler sampler, bool clip = true, bool rounds = false)
    {
        using var scope = NewDisposeScope();
        var noise = Generate(img, scale, gray, sampler);
        return NoiseOutput.Finish(img + noise, clip, rounds).MoveToOuterDisposeScope();
    }

    /// <summary><see cref="Add(Tensor, Tensor, Tensor, INoiseSampler, bool, bool)"/> with one scale and gray flag for all samples.</summary>
    public static Tensor Add(Tensor img, double scale, bool gray, INoiseSampler sampler, bool clip = true, bool rounds = false)
    {
        GaussianNoise.CheckImage(img);
        using var scope = NewDisposeScope();
        var (s, g) = NoiseOutput.PerSample(img, scale, gray);
        return Add(img, s, g, sampler, clip, rounds).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// <c>2^ceil(log2(n))</c> per sample, n = the number of distinct 8-bit levels of the (already rounded) image over
    /// all channels of that sample.
    /// </summary>
    public static float[] QuantisationLevels(Tensor rounded)
    {
        ArgumentNullException.ThrowIfNull(rounded);
        long b = rounded.shape[0];
        using var scope = NewDisposeScope();
        // Values are k/255 for integer k in 0..255, so counting distinct k counts distinct values.
        var levels = (rounded * 255.0).round().to_type(ScalarType.Int64).reshape(b, -1).clamp(0, 255);
        var present = zeros(b, 256, ScalarType.Float32, rounded.device).scatter_(1, levels, ones(levels.shape, ScalarType.Float32, rounded.device));
        var counts = present.sum(1).cpu().data<float>().ToArray();
        return counts.Select(n => (float)Math.Pow(2, Math.Ceiling(Math.Log2(n)))).ToArray();
    }

    /// <summary>torchvision <c>rgb_to_grayscale(img, 1)</c>: <c>0.2989 R + 0.587 G + 0.114 B</c>, shape <c>(B, 1, H, W)</c>.</summary>
    public static Tensor RgbToGray(Tensor img)
    {
        GaussianNoise.CheckImage(img);
        if (img.shape[1] != 3) throw new ArgumentException($"img must have 3 channels (RGB); got {img.shape[1]}.", nameof(img));
        using var scope = NewDisposeScope();
        var ch = img.unbind(1);
        var l = ch[0] * 0.2989 + ch[1] * 0.587 + ch[2] * 0.114;
        return l.unsqueeze(1).MoveToOuterDisposeScope();
    }

    static Tensor ShotNoise(Tensor img, INoiseSampler sampler)
    {
        long b = img.shape[0];
        // Round and clip first so that counting the distinct values is exact.
        var rounded = (img * 255.0).round().clamp(0, 255) / 255.0;
        var vals = tensor(QuantisationLevels(rounded), img.dtype, img.device).view(b, 1, 1, 1);
        var counts = sampler.Poisson(rounded * vals);
        // PORT-QUIRK(BasicSR, degradations.py): noise relative to the ROUNDED image, later added to the unrounded one.
        return counts / vals - rounded;
    }
}
