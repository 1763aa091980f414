// Port of the per-sample GT preparation of xinntao/Real-ESRGAN realesrgan/data/realesrgan_dataset.py
// (RealESRGANDataset.__getitem__, commit a4abfb2979a7bbff3f69f58f58ae324608821e27) and of augment / paired_random_crop in
// XPixelGroup/BasicSR basicsr/data/transforms.py (commit 8d56e3a045f9fb3e1d8872f92ee4a4f07f886b0a); the padding follows
// cv2.copyMakeBorder(BORDER_REFLECT_101) (OpenCV borderInterpolate). Paper: Wang et al., "Real-ESRGAN", ICCVW 2021.
using HfDiff.Torch.Degradations;
using static TorchSharp.torch;

namespace HfDiff.Torch.Data.SrPairs;

/// <summary>
/// The GT transforms of Real-ESRGAN training on <c>(B, 3, H, W)</c> tensors, with every random choice drawn from an
/// explicit <see cref="DegradationRandom"/> in the reference's order (Python's <c>random.random()</c> → NextDouble,
/// <c>random.randint(0, n)</c> → NextIndex(n + 1)). Inputs are never modified; results are new tensors the caller owns.
/// </summary>
public static class SrTransforms
{
    /// <summary>
    /// BasicSR <c>augment(img, hflip, rotation)</c>: horizontal flip with probability ½ (a draw only when
    /// <paramref name="hflip"/>), then, only when <paramref name="rotation"/>, vertical flip (½) and H↔W transpose (½) —
    /// together the 8 dihedral transforms. Returns the augmented image and what was applied.
    /// </summary>
    public static (Tensor Image, bool HFlip, bool VFlip, bool Transpose) Augment(Tensor img, DegradationRandom rng, bool hflip, bool rotation)
    {
        CheckImage(img, nameof(img));
        ArgumentNullException.ThrowIfNull(rng);
        // Python's `hflip and random.random() < 0.5` only draws when the option is on; same for the two rotation draws.
        bool h = hflip && rng.NextDouble() < 0.5;
        bool v = rotation && rng.NextDouble() < 0.5;
        bool t = rotation && rng.NextDouble() < 0.5;
        using var scope = NewDisposeScope();
        var x = img.alias();
        if (h) x = x.flip(3);
        if (v) x = x.flip(2);
        if (t) x = x.transpose(2, 3);
        return (x.contiguous().MoveToOuterDisposeScope(), h, v, t);
    }

    /// <summary>
    /// OpenCV <c>borderInterpolate(p, len, BORDER_REFLECT_101)</c>: the source index of padded position
    /// <paramref name="p"/>, reflecting without repeating the edge (…2 1 | 0 1 2 … n−1 | n−2 …) as often as needed, so a
    /// pad may exceed the image size (it ping-pongs); a 1-pixel axis repeats its pixel.
    /// </summary>
    public static int Reflect101Index(int p, int len)
    {
        if (len < 1) throw new ArgumentOutOfRangeException(nameof(len), $"len must be >= 1; got {len}.");
        if (len == 1) return 0;
        while ((uint)p >= (uint)len) p = p < 0 ? -p : 2 * len - 2 - p;
        return p;
    }

    /// <summary>
    /// <c>cv2.copyMakeBorder(img, 0, padBottom, 0, padRight, BORDER_REFLECT_101)</c> on <c>(B, C, H, W)</c>: pads only
    /// the bottom and right. Unlike <c>F.pad(mode='reflect')</c> any pad size works (see <see cref="Reflect101Index"/>).
    /// </summary>
    public static Tensor PadReflect101(Tensor img, int padBottom, int padRight)
    {
        CheckImage(img, nameof(img));
        if (padBottom < 0) throw new ArgumentOutOfRangeException(nameof(padBottom), $"padBottom must be >= 0; got {padBottom}.");
        if (padRight < 0) throw new ArgumentOutOfRangeException(nameof(padRight), $"padRight must be >= 0; got {padRight}.");
        using var scope = NewDisposeScope();
        int h = (int)img.shape[2], w = (int)img.shape[3];
        var x = img.alias();
        if (padBottom > 0) x = x.index_select(2, Indices(h, padBottom, img.device));
        if (padRight > 0) x = x.index_select(3, Indices(w, padRight, img.device));
        return x.contiguous().MoveToOuterDisposeScope();
    }

    static Tensor Indices(int len, int pad, Device device) =>
        tensor(Enumerable.Range(0, len + pad).Select(p => (long)Reflect101Index(p, len)).ToArray(), ScalarType.Int64, device);

    /// <summary>
    /// Real-ESRGAN's "crop or pad to 400": if H or W is below <paramref name="size"/>, pad the bottom/right by the
    /// shortfall with <see cref="PadReflect101"/>; then if H or W exceeds <paramref name="size"/>, crop a random
    /// <paramref name="size"/>² window (top drawn first, then left; both drawn whenever either axis is larger).
    /// The result is <c>(B, C, size, size)</c>.
    /// </summary>
    public static Tensor CropOrPad(Tensor img, int size, DegradationRandom rng)
    {
        CheckImage(img, nameof(img));
        ArgumentNullException.ThrowIfNull(rng);
        if (size < 1) throw new ArgumentOutOfRangeException(nameof(size), $"size must be >= 1; got {size}.");
        using var scope = NewDisposeScope();
        int h = (int)img.shape[2], w = (int)img.shape[3];
        var x = img.alias();
        if (h < size || w < size)
        {
            // PORT-QUIRK(Real-ESRGAN, realesrgan_dataset.py): one cv2.copyMakeBorder call, bottom/right only; OpenCV
            // reflects repeatedly when the pad exceeds the image (ResShift's fork instead pads in steps of at most the
            // current size, which gives a different mirror pattern for images under half the size).
            x = PadReflect101(x, Math.Max(0, size - h), Math.Max(0, size - w));
            h = (int)x.shape[2]; w = (int)x.shape[3];
        }
        if (h > size || w > size)
        {
            int top = rng.NextIndex(h - size + 1);
            int left = rng.NextIndex(w - size + 1);
            x = x.narrow(2, top, size).narrow(3, left, size);
        }
        return x.contiguous().MoveToOuterDisposeScope();
    }

    /// <summary>
    /// ResShift's <c>rescale_gt</c> preparation (zsyOAOA/ResShift basicsr/data/realesrgan_dataset.py, commit
    /// ccfad91425515094b2a12260a12b6387957a5554): side <c>s = max(min(H, W), gtSize)</c>; while an axis is below s,
    /// reflect-101 pad the bottom/right by <c>min(shortfall, current size)</c>; random s² crop (top then left, both
    /// drawn when either axis exceeds s); <see cref="ResizeArea"/> to <paramref name="gtSize"/>² when s differs.
    /// </summary>
    public static Tensor RescaleCrop(Tensor img, int gtSize, DegradationRandom rng)
    {
        CheckImage(img, nameof(img));
        ArgumentNullException.ThrowIfNull(rng);
        if (gtSize < 1) throw new ArgumentOutOfRangeException(nameof(gtSize), $"gtSize must be >= 1; got {gtSize}.");
        using var scope = NewDisposeScope();
        int h = (int)img.shape[2], w = (int)img.shape[3];
        int side = Math.Max(Math.Min(h, w), gtSize);
        var x = img.alias();
        while (h < side || w < side)
        {
            // PORT-QUIRK(ResShift, basicsr/data/realesrgan_dataset.py): pads in steps no larger than the image.
            x = PadReflect101(x, Math.Min(Math.Max(0, side - h), h), Math.Min(Math.Max(0, side - w), w));
            h = (int)x.shape[2]; w = (int)x.shape[3];
        }
        if (h > side || w > side)
        {
            int top = rng.NextIndex(h - side + 1);
            int left = rng.NextIndex(w - side + 1);
            x = x.narrow(2, top, side).narrow(3, left, side);
        }
        if (side != gtSize) x = ResizeArea(x, gtSize, gtSize);
        return x.contiguous().MoveToOuterDisposeScope();
    }

    /// <summary>
    /// <c>cv2.resize(img, (width, height), interpolation=cv2.INTER_AREA)</c> for shrinking (or keeping) an image
    /// <c>(B, C, H, W)</c>: each output pixel averages the input pixels its footprint covers, partially covered ones
    /// weighted by the covered fraction (OpenCV's <c>computeResizeAreaTab</c>, including its 1e-3 cut-offs). Computed
    /// as two weight matrices in float64 and returned in the input's dtype.
    /// </summary>
    public static Tensor ResizeArea(Tensor img, int height, int width)
    {
        CheckImage(img, nameof(img));
        int h = (int)img.shape[2], w = (int)img.shape[3];
        if (height < 1 || height > h || width < 1 || width > w)
            throw new ArgumentOutOfRangeException(height < 1 || height > h ? nameof(height) : nameof(width),
                $"ResizeArea only shrinks: output {height}x{width} must be within 1..{h} x 1..{w}.");
        using var scope = NewDisposeScope();
        var wh = tensor(AreaWeights(h, height), [height, h], ScalarType.Float64, img.device);
        var ww = tensor(AreaWeights(w, width), [width, w], ScalarType.Float64, img.device);
        var result = wh.matmul(img.to(ScalarType.Float64)).matmul(ww.t()).to(img.dtype);
        return result.MoveToOuterDisposeScope();
    }

    /// <summary>Row-major <c>(dsize, ssize)</c> weights of OpenCV's area table (<c>scale = 1 / (dsize / ssize)</c> as cv::resize computes it).</summary>
    static double[] AreaWeights(int ssize, int dsize)
    {
        var m = new double[dsize * ssize];
        double scale = 1.0 / ((double)dsize / ssize);
        for (int dx = 0; dx < dsize; dx++)
        {
            double fsx1 = dx * scale, fsx2 = fsx1 + scale;
            double cellWidth = Math.Min(scale, ssize - fsx1);
            int sx1 = (int)Math.Ceiling(fsx1), sx2 = (int)Math.Floor(fsx2);
            sx2 = Math.Min(sx2, ssize - 1);
            sx1 = Math.Min(sx1, sx2);
            // OpenCV stores the weights as float.
            if (sx1 - fsx1 > 1e-3) m[dx * ssize + sx1 - 1] += (float)((sx1 - fsx1) / cellWidth);
            for (int sx = sx1; sx < sx2; sx++) m[dx * ssize + sx] += (float)(1.0 / cellWidth);
            if (fsx2 - sx2 > 1e-3) m[dx * ssize + sx2] += (float)(Math.Min(Math.Min(fsx2 - sx2, 1.0), cellWidth) / cellWidth);
        }
        return m;
    }

    /// <summary>
    /// BasicSR <c>paired_random_crop</c> for batched tensors: one LQ window of <c>gtPatch / scale</c> at a random
    /// (top, left) — the same for the whole batch, as the reference crops the batch tensor — and the GT window
    /// <c>gtPatch</c> at (top·scale, left·scale), applied to every tensor of <paramref name="gts"/>.
    /// </summary>
    /// <exception cref="ArgumentException">GT is not <paramref name="scale"/>× the LQ, or the LQ is smaller than the patch.</exception>
    public static (Tensor[] Gts, Tensor Lq) PairedRandomCrop(IReadOnlyList<Tensor> gts, Tensor lq, int gtPatch, int scale, DegradationRandom rng)
    {
        ArgumentNullException.ThrowIfNull(gts);
        if (gts.Count == 0) throw new ArgumentException("gts must hold at least one GT tensor.", nameof(gts));
        CheckImage(lq, nameof(lq));
        ArgumentNullException.ThrowIfNull(rng);
        if (scale < 1) throw new ArgumentOutOfRangeException(nameof(scale), $"scale must be >= 1; got {scale}.");
        if (gtPatch < scale) throw new ArgumentOutOfRangeException(nameof(gtPatch), $"gtPatch must be >= scale ({scale}); got {gtPatch}.");
        long hl = lq.shape[2], wl = lq.shape[3];
        foreach (var g in gts)
        {
            CheckImage(g, nameof(gts));
            if (g.shape[2] != hl * scale || g.shape[3] != wl * scale)
                throw new ArgumentException($"Scale mismatches: GT ({g.shape[2]}, {g.shape[3]}) is not {scale}x LQ ({hl}, {wl}).", nameof(gts));
        }
        int lqPatch = gtPatch / scale;
        if (hl < lqPatch || wl < lqPatch)
            throw new ArgumentException($"LQ ({hl}, {wl}) is smaller than the patch ({lqPatch}, {lqPatch}) for gtPatch {gtPatch} / scale {scale}.", nameof(lq));
        int top = rng.NextIndex((int)hl - lqPatch + 1);
        int left = rng.NextIndex((int)wl - lqPatch + 1);
        using var scope = NewDisposeScope();
        var lqOut = lq.narrow(2, top, lqPatch).narrow(3, left, lqPatch).contiguous();
        int tg = top * scale, lg = left * scale;
        var gtOut = gts.Select(g => g.narrow(2, tg, gtPatch).narrow(3, lg, gtPatch).contiguous().MoveToOuterDisposeScope()).ToArray();
        return (gtOut, lqOut.MoveToOuterDisposeScope());
    }

    static void CheckImage(Tensor? img, string name)
    {
        ArgumentNullException.ThrowIfNull(img, name);
        if (img.dim() != 4) throw new ArgumentException($"{name} must be (B, C, H, W); got shape [{string.Join(", ", img.shape)}].", name);
    }
}
