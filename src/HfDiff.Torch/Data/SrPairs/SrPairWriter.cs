// Benchmark-pair synthesis with the Real-ESRGAN degradation (xinntao/Real-ESRGAN, commit
// a4abfb2979a7bbff3f69f58f58ae324608821e27) and BasicSR's mod_crop (basicsr/data/transforms.py).
using HfDiff.Torch.Degradations;
using HfDiff.Torch.Imaging;
using static TorchSharp.torch;

namespace HfDiff.Torch.Data.SrPairs;

/// <summary>
/// Makes (LQ, GT) benchmark pairs from single HR files, deterministically: the same file, seed and size give
/// bit-identical tensors and PNG bytes on every run (of the same libtorch build). No flips. With a GT size the
/// image is cropped at a seeded random position (or padded with reflect-101 at the bottom/right when smaller, as
/// <see cref="SrPairLoader"/> does); without one the whole image is used, mod-cropped at the bottom/right to a
/// multiple of the scale. Use <see cref="SrPairSeeds.ForFile"/> for per-file seeds that do not depend on the
/// folder listing.
/// </summary>
public sealed class SrPairWriter : IDisposable
{
    readonly RealEsrganDegradation _degradation;

    /// <param name="degradation">Degradation settings (default Real-ESRGAN x4plus).</param>
    /// <param name="lqFromSharpenedGt">Make the LQ from the USM-sharpened GT (Real-ESRGAN, default) or the plain GT (ResShift <c>use_sharp: False</c>).</param>
    /// <param name="readOptions">Decoder limits.</param>
    public SrPairWriter(RealEsrganDegradationOptions? degradation = null, bool lqFromSharpenedGt = true, ImageReadOptions? readOptions = null)
    {
        _degradation = new RealEsrganDegradation(degradation);
        LqFromSharpenedGt = lqFromSharpenedGt;
        ReadOptions = readOptions ?? ImageReadOptions.Default;
    }

    public RealEsrganDegradationOptions Degradation => _degradation.Options;
    public bool LqFromSharpenedGt { get; }
    public ImageReadOptions ReadOptions { get; }

    /// <summary>Smallest GT side accepted (the degradation's <see cref="RealEsrganDegradation.MinimumInputSize"/>).</summary>
    public int MinimumGtSize => _degradation.MinimumInputSize;

    /// <summary>Reads <paramref name="hrPath"/> and degrades it (see <see cref="Degrade"/>).</summary>
    /// <exception cref="ImageDecodeException">The file cannot be read (the message names it).</exception>
    public SrPair DegradeFile(string hrPath, long seed, int? gtSize = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(hrPath);
        using var hr = ImageIO.ReadTensor(hrPath, ReadOptions);
        return Degrade(hr, seed, gtSize, hrPath);
    }

    /// <summary>
    /// Degrades one HR image <c>(1, 3, H, W)</c> in [0, 1]. <paramref name="gtSize"/> null: the whole image, mod-cropped
    /// to a multiple of the scale; else a seeded random <paramref name="gtSize"/>² crop (reflect-101 padded if smaller).
    /// <paramref name="name"/> is used in error messages.
    /// </summary>
    public SrPair Degrade(Tensor hr, long seed, int? gtSize = null, string name = "image")
    {
        ArgumentNullException.ThrowIfNull(hr);
        if (hr.dim() != 4 || hr.shape[0] != 1 || hr.shape[1] != 3)
            throw new ArgumentException($"{name}: hr must be (1, 3, H, W); got shape [{string.Join(", ", hr.shape)}].", nameof(hr));
        int scale = _degradation.Options.Scale, min = _degradation.MinimumInputSize;
        if (gtSize is { } g && (g < min || g % scale != 0))
            throw new ArgumentOutOfRangeException(nameof(gtSize), $"gtSize must be a multiple of the scale {scale} and >= {min}; got {g}.");

        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        var rng = new DegradationRandom(seed);
        Tensor gt;
        if (gtSize is { } size)
        {
            gt = SrTransforms.CropOrPad(hr, size, rng);
        }
        else
        {
            long h = hr.shape[2] - hr.shape[2] % scale, w = hr.shape[3] - hr.shape[3] % scale;
            if (h < min || w < min)
                throw new ArgumentException($"{name}: {hr.shape[3]}x{hr.shape[2]} (W x H) is too small for the degradation; both sides must be >= {min} after cropping to a multiple of {scale}. Pass a gtSize to pad it.", nameof(hr));
            // BasicSR mod_crop: drop the bottom/right remainder.
            gt = hr.narrow(2, 0, h).narrow(3, 0, w).contiguous();
        }
        var degraded = PairDegrader.Run(_degradation, gt, rng.NextInt64(), LqFromSharpenedGt);
        return new SrPair(degraded.Lq.DetachFromDisposeScope(), gt.clone().DetachFromDisposeScope());
    }

    /// <summary>
    /// Degrades <paramref name="hrPath"/> and writes the LQ (and, if <paramref name="gtPngPath"/> is given, the GT it was
    /// made from) as 8-bit PNGs, atomically.
    /// </summary>
    public void WriteFile(string hrPath, string lqPngPath, string? gtPngPath, long seed, int? gtSize = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(lqPngPath);
        using var pair = DegradeFile(hrPath, seed, gtSize);
        ImageIO.WritePng(pair.Lq, lqPngPath);
        if (gtPngPath is not null) ImageIO.WritePng(pair.Gt, gtPngPath);
    }

    public void Dispose() => _degradation.Dispose();
}
