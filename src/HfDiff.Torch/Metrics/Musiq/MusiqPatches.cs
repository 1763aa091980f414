// Port of chaofengc/IQA-PyTorch pyiqa/data/multiscale_trans_util.py (get_multiscale_patches) at
// 01ae427f9afd66842031d3a7cb694dcad5b5cbb8, itself after google-research/musiq/model/preprocessing.py.
// Paper: Ke et al., "MUSIQ: Multi-scale Image Quality Transformer", ICCV 2021.
using HfDiff.Torch.Imaging.Resize;
using TorchSharp;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace HfDiff.Torch.Metrics.Musiq;

/// <summary>
/// MUSIQ's multi-scale patch sequence. Each row is one patch of <c>3·P·P</c> values (channel-major, then ky, kx, as
/// <c>F.unfold</c>) followed by [hashed spatial position, scale id, mask]. Scales: each longer-side length (sorted),
/// padded with all-zero rows (mask 0) or cut to <c>ceil(L/P)²</c> rows, then the original resolution.
/// </summary>
public static class MusiqPatches
{
    /// <summary>Pyiqa's eval preprocessing: x ∈ [0,1] (N,3,H,W) → (x-0.5)·2 → patch rows (N, seq, 3·P·P+3).</summary>
    public static Tensor FromImage(Tensor image01, MusiqOptions options)
    {
        ArgumentNullException.ThrowIfNull(image01);
        ArgumentNullException.ThrowIfNull(options);
        if (image01.ndim != 4 || image01.shape[1] != 3 || image01.dtype != ScalarType.Float32)
            throw new ArgumentException($"image must be (N,3,H,W) float32; got [{string.Join(",", image01.shape)}] {image01.dtype}.", nameof(image01));
        using var scope = torch.NewDisposeScope();
        using var noGrad = torch.no_grad();
        var x = (image01 - 0.5) * 2;
        long h = x.shape[2], w = x.shape[3];
        int p = options.PatchSize;
        var parts = new List<Tensor>();
        var lengths = options.LongerSideLengths.Order().ToArray();
        for (int scaleId = 0; scaleId < lengths.Length; scaleId++)
        {
            int longer = lengths[scaleId];
            // Python's round() is half-to-even, as Math.Round's default.
            double ratio = (double)longer / Math.Max(h, w);
            long rh = (long)Math.Round(h * ratio), rw = (long)Math.Round(w * ratio);
            if (rh < 1 || rw < 1)
                throw new ArgumentException($"image {h}x{w} resizes to {rh}x{rw} at longer side {longer}; the aspect ratio is too extreme.", nameof(image01));
            // PORT-QUIRK(pyiqa, multiscale_trans_util.py): the docstring says Gaussian resize (TF); the code uses
            // F.interpolate bicubic (a=-0.75, align_corners=False, no antialias), here with torch 1.13's numerics.
            var resized = MusiqBicubic.Resize(x, rh, rw);
            long maxSeqLen = (long)Math.Pow(Math.Ceiling((double)longer / p), 2);
            parts.Add(ScalePatches(resized, p, options.SpatialPosGridSize, scaleId, maxSeqLen));
        }
        if (options.MaxSeqLenFromOriginalRes is int originalMax)
            parts.Add(ScalePatches(x, p, options.SpatialPosGridSize, lengths.Length, originalMax));
        return torch.cat(parts, -1).transpose(1, 2).contiguous().MoveToOuterDisposeScope();
    }

    /// <summary>(N, 3·P·P+3, count) rows of one scale, padded/cut to <paramref name="maxSeqLen"/> when it is >= 0.</summary>
    static Tensor ScalePatches(Tensor image, int p, int gridSize, int scaleId, long maxSeqLen)
    {
        long n = image.shape[0], h = image.shape[2], w = image.shape[3];
        long countH = (h + p - 1) / p, countW = (w + p - 1) / p;
        // TF 'SAME' padding for kernel = stride = P: total = ceil(n/P)·P − n, the smaller half on top/left.
        long padRow = countH * p - h, padCol = countW * p - w;
        var padded = F.pad(image, [padCol / 2, padCol - padCol / 2, padRow / 2, padRow - padRow / 2]);
        var patches = F.unfold(padded, p, 1, 0, p);                           // (N, 3·P·P, countH·countW)
        var spatial = HashedSpatialPositions(gridSize, countH, countW).to(patches.dtype, patches.device).expand(n, 1, -1);
        var scale = torch.full_like(spatial, scaleId);
        var mask = torch.ones_like(spatial);
        var rows = torch.cat([patches, spatial, scale, mask], 1);
        if (maxSeqLen < 0) return rows;
        var zeros = torch.zeros(n, rows.shape[1], maxSeqLen, dtype: rows.dtype, device: rows.device);
        return torch.cat([rows, zeros], -1)[.., .., ..(int)maxSeqLen];
    }

    /// <summary>
    /// Hash-based spatial index (1,1,countH·countW): the countH×countW patch grid is mapped onto a G×G grid by
    /// nearest-neighbour interpolation of arange(G) along each axis; position = row·G + column.
    /// </summary>
    public static Tensor HashedSpatialPositions(int gridSize, long countH, long countW)
    {
        using var scope = torch.NewDisposeScope();
        var grid = torch.arange(gridSize, dtype: ScalarType.Float32).reshape(1, 1, gridSize);
        var hashW = F.interpolate(grid, [countW], mode: InterpolationMode.Nearest).reshape(1, countW);
        var hashH = F.interpolate(grid, [countH], mode: InterpolationMode.Nearest).reshape(countH, 1);
        var pos = hashH * gridSize + hashW;                                   // (countH, countW)
        return pos.reshape(1, 1, countH * countW).MoveToOuterDisposeScope();
    }
}
