// Port of DiffJPEG from XPixelGroup/BasicSR basicsr/utils/diffjpeg.py (commit 8d56e3a045f9fb3e1d8872f92ee4a4f07f886b0a),
// itself modified from github.com/mlomnitz/DiffJPEG (Shin & Song, "JPEG-resistant adversarial images", 2017).
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace HfDiff.Torch.Degradations;

/// <summary>
/// Batched JPEG compression simulation on <c>(B, 3, H, W)</c> RGB images in [0, 1]: zero-pad bottom/right to a
/// multiple of 16, YCbCr (JPEG matrix), 2×2 chroma averaging, 8×8 orthonormal DCT, quantisation by the standard tables
/// times a quality factor (<see cref="QualityToFactor(double)"/>), then the inverse path, clamp to [0, 255], /255 and
/// crop. Not rounded to 8 bits. The result differs slightly from a real JPEG codec (no entropy coding, no 8-bit steps).
/// </summary>
public sealed class DiffJpeg : IDisposable
{
    // Standard JPEG quantisation tables (ITU-T T.81 Annex K), row-major [vertical frequency, horizontal frequency].
    static readonly float[] LuminanceTable =
    [
        16, 11, 10, 16, 24, 40, 51, 61, 12, 12, 14, 19, 26, 58, 60, 55, 14, 13, 16, 24, 40, 57, 69, 56,
        14, 17, 22, 29, 51, 87, 80, 62, 18, 22, 37, 56, 68, 109, 103, 77, 24, 35, 55, 64, 81, 104, 113, 92,
        49, 64, 78, 87, 103, 121, 120, 101, 72, 92, 95, 98, 112, 100, 103, 99,
    ];
    static readonly float[] ChrominanceTopLeft = [17, 18, 24, 47, 18, 21, 26, 66, 24, 26, 56, 99, 47, 66, 99, 99];

    readonly Tensor _yTable, _cTable, _rgbToYcc, _yccShift, _dct, _dctScale, _idct, _idctAlpha, _yccToRgb, _rgbShift;

    /// <param name="differentiable">
    /// True (the reference default): rounding <c>round(x) + (x − round(x))³</c>; false: <c>torch.round</c> (half to
    /// even), which is what the Real-ESRGAN pipeline uses.
    /// </param>
    public DiffJpeg(bool differentiable = true)
    {
        Differentiable = differentiable;
        // PORT-QUIRK(BasicSR, diffjpeg.py): the tables are stored transposed (.T) and used with the DCT's [u, v] order,
        // so the coefficient at vertical frequency u, horizontal v is divided by table[v, u]. We keep that effect.
        var y = new float[64];
        var cc = new float[64];
        Array.Fill(cc, 99f);
        for (int u = 0; u < 8; u++)
            for (int v = 0; v < 8; v++)
            {
                y[u * 8 + v] = LuminanceTable[v * 8 + u];
                if (u < 4 && v < 4) cc[u * 8 + v] = ChrominanceTopLeft[v * 4 + u];
            }
        _yTable = tensor(y, [8, 8]);
        _cTable = tensor(cc, [8, 8]);

        // rgb_to_ycbcr_jpeg: result[..., j] = Σ_i rgb[..., i] · M[j, i] (+ shift); stored as Mᵀ for a right-multiply.
        double[,] m = { { 0.299, 0.587, 0.114 }, { -0.168736, -0.331264, 0.5 }, { 0.5, -0.418688, -0.081312 } };
        _rgbToYcc = tensor(Transposed(m), [3, 3]);
        _yccShift = tensor(new float[] { 0, 128, 128 });
        double[,] mi = { { 1, 0, 1.402 }, { 1, -0.344136, -0.714136 }, { 1, 1.772, 0 } };
        _yccToRgb = tensor(Transposed(mi), [3, 3]);
        _rgbShift = tensor(new float[] { 0, -128, -128 });

        // DCT / IDCT bases as (64, 64) float32 matrices (tensordot over the last two dims = flattened matmul).
        var dct = new float[64 * 64];
        var idct = new float[64 * 64];
        for (int x = 0; x < 8; x++)
            for (int yy = 0; yy < 8; yy++)
                for (int u = 0; u < 8; u++)
                    for (int v = 0; v < 8; v++)
                    {
                        dct[(x * 8 + yy) * 64 + u * 8 + v] = (float)(Math.Cos((2 * x + 1) * u * Math.PI / 16) * Math.Cos((2 * yy + 1) * v * Math.PI / 16));
                        idct[(x * 8 + yy) * 64 + u * 8 + v] = (float)(Math.Cos((2 * u + 1) * x * Math.PI / 16) * Math.Cos((2 * v + 1) * yy * Math.PI / 16));
                    }
        _dct = tensor(dct, [64, 64]);
        _idct = tensor(idct, [64, 64]);
        var alpha = new double[8];
        for (int i = 0; i < 8; i++) alpha[i] = i == 0 ? 1 / Math.Sqrt(2) : 1;
        var scale = new float[64];
        var outer = new float[64];
        for (int i = 0; i < 8; i++)
            for (int j = 0; j < 8; j++)
            {
                scale[i * 8 + j] = (float)(alpha[i] * alpha[j] * 0.25);
                outer[i * 8 + j] = (float)(alpha[i] * alpha[j]);
            }
        _dctScale = tensor(scale, [8, 8]);
        _idctAlpha = tensor(outer, [8, 8]);
    }

    /// <summary>Whether the differentiable rounding is used.</summary>
    public bool Differentiable { get; }

    /// <summary>
    /// <c>quality_to_factor</c> for a Python float: q &lt; 50 → 5000/q/100, else (200 − 2q)/100 (float64 arithmetic).
    /// </summary>
    public static double QualityToFactor(double quality) => quality < 50 ? 5000.0 / quality / 100.0 : (200.0 - quality * 2) / 100.0;

    /// <summary>
    /// <c>quality_to_factor</c> applied to an element of a float32 quality tensor: the same formula in float32
    /// arithmetic, as torch evaluates it on a 0-dim tensor.
    /// </summary>
    public static float QualityToFactor(float quality) => quality < 50 ? 5000f / quality / 100f : (200f - quality * 2f) / 100f;

    /// <summary>Compresses with one quality for the whole batch (a Python float/int in the reference).</summary>
    public Tensor Forward(Tensor x, double quality)
    {
        CheckQuality(quality, nameof(quality));
        return Run(x, QualityToFactor(quality), null);
    }

    /// <summary>
    /// Compresses with a per-sample quality <c>(B)</c> (float32 arithmetic as in the reference). Unlike the reference,
    /// <paramref name="quality"/> is not overwritten with the factors.
    /// </summary>
    public Tensor Forward(Tensor x, Tensor quality)
    {
        ArgumentNullException.ThrowIfNull(quality);
        CheckInput(x);
        if (quality.numel() != x.shape[0])
            throw new ArgumentException($"quality must have one value per sample ({x.shape[0]}); got shape [{string.Join(", ", quality.shape)}].", nameof(quality));
        using var q = quality.detach().to_type(ScalarType.Float32).cpu().contiguous();
        var factors = q.data<float>().ToArray().Select(v => { CheckQuality(v, nameof(quality)); return QualityToFactor(v); }).ToArray();
        return Run(x, double.NaN, factors);
    }

    /// <summary>Compresses with a per-sample quality given as an array.</summary>
    public Tensor Forward(Tensor x, IReadOnlyList<float> quality)
    {
        ArgumentNullException.ThrowIfNull(quality);
        using var q = tensor(quality.ToArray());
        return Forward(x, q);
    }

    Tensor Run(Tensor x, double scalarFactor, float[]? factors)
    {
        CheckInput(x);
        using var scope = NewDisposeScope();
        var dev = x.device;
        long b = x.shape[0], h = x.shape[2], w = x.shape[3];
        long hPad = h % 16 == 0 ? 0 : 16 - h % 16, wPad = w % 16 == 0 ? 0 : 16 - w % 16;
        // PORT-QUIRK(BasicSR, diffjpeg.py): zero padding (not edge replication) to a multiple of 16.
        var padded = F.pad(x.to_type(ScalarType.Float32), [0, wPad, 0, hPad], TorchSharp.PaddingModes.Constant, 0);
        long hp = h + hPad, wp = w + wPad;

        Tensor yTable, cTable;
        if (factors is null)
        {
            // Python float factor: torch multiplies the float32 table by the scalar in float32.
            yTable = _yTable.to(dev) * scalarFactor;
            cTable = _cTable.to(dev) * scalarFactor;
        }
        else
        {
            var f = tensor(factors, [b, 1, 1, 1], ScalarType.Float32, dev);
            yTable = _yTable.to(dev).expand(b, 1, 8, 8) * f;
            cTable = _cTable.to(dev).expand(b, 1, 8, 8) * f;
        }

        // ---- compression ----
        var hwc = (padded * 255).permute(0, 2, 3, 1);
        var ycc = matmul(hwc, _rgbToYcc.to(dev)) + _yccShift.to(dev);
        var yPlane = ycc[.., .., .., 0];
        var chroma = ycc.permute(0, 3, 1, 2);
        var cb = F.avg_pool2d(chroma[.., 1..2, .., ..], 2, 2).squeeze(1);
        var cr = F.avg_pool2d(chroma[.., 2..3, .., ..], 2, 2).squeeze(1);

        var yq = Quantise(Dct(SplitBlocks(yPlane), dev), yTable);
        var cbq = Quantise(Dct(SplitBlocks(cb), dev), cTable);
        var crq = Quantise(Dct(SplitBlocks(cr), dev), cTable);

        // ---- decompression ----
        var yRec = MergeBlocks(Idct(yq * yTable, dev), hp, wp);
        var cbRec = UpsampleChroma(MergeBlocks(Idct(cbq * cTable, dev), hp / 2, wp / 2));
        var crRec = UpsampleChroma(MergeBlocks(Idct(crq * cTable, dev), hp / 2, wp / 2));
        var yccRec = stack([yRec, cbRec, crRec], 3);
        var rgb = matmul(yccRec + _rgbShift.to(dev), _yccToRgb.to(dev)).permute(0, 3, 1, 2);
        var result = rgb.clamp(0, 255) / 255;
        result = result[.., .., ..(int)h, ..(int)w].contiguous().to_type(x.dtype);
        return result.MoveToOuterDisposeScope();
    }

    // (B, H, W) → (B, H/8 · W/8, 8, 8), blocks in row-major order.
    static Tensor SplitBlocks(Tensor plane)
    {
        long b = plane.shape[0], h = plane.shape[1], w = plane.shape[2];
        return plane.reshape(b, h / 8, 8, w / 8, 8).permute(0, 1, 3, 2, 4).contiguous().view(b, -1, 8, 8);
    }

    static Tensor MergeBlocks(Tensor blocks, long h, long w)
    {
        long b = blocks.shape[0];
        return blocks.reshape(b, h / 8, w / 8, 8, 8).permute(0, 1, 3, 2, 4).contiguous().view(b, h, w);
    }

    // Nearest ×2 upsampling (the reference repeats each value into a 2×2 block).
    static Tensor UpsampleChroma(Tensor plane) => plane.repeat_interleave(2, 1).repeat_interleave(2, 2);

    Tensor Dct(Tensor blocks, Device dev)
    {
        var shape = blocks.shape;
        var flat = (blocks - 128).reshape(-1, 64);
        return _dctScale.to(dev) * matmul(flat, _dct.to(dev)).view(shape);
    }

    Tensor Idct(Tensor coefficients, Device dev)
    {
        var shape = coefficients.shape;
        var flat = (coefficients * _idctAlpha.to(dev)).reshape(-1, 64);
        return matmul(flat, _idct.to(dev)).view(shape) * 0.25 + 128;
    }

    Tensor Quantise(Tensor coefficients, Tensor table)
    {
        var q = coefficients / table;
        var r = q.round(); // half to even, as torch.round
        return Differentiable ? r + (q - r).pow(3) : r;
    }

    static float[] Transposed(double[,] m)
    {
        var t = new float[9];
        for (int i = 0; i < 3; i++)
            for (int j = 0; j < 3; j++)
                t[i * 3 + j] = (float)m[j, i];
        return t;
    }

    static void CheckInput(Tensor x)
    {
        ArgumentNullException.ThrowIfNull(x);
        if (x.dim() != 4 || x.shape[1] != 3) throw new ArgumentException($"x must be (B, 3, H, W) RGB; got shape [{string.Join(", ", x.shape)}].", nameof(x));
        if (!x.is_floating_point()) throw new ArgumentException($"x must be a floating tensor in [0, 1]; got {x.dtype}.", nameof(x));
    }

    static void CheckQuality(double q, string name)
    {
        if (!(q > 0) || !double.IsFinite(q)) throw new ArgumentOutOfRangeException(name, $"{name} must be finite and > 0 (JPEG quality, typically 1..100); got {q}.");
    }

    public void Dispose()
    {
        foreach (var t in new[] { _yTable, _cTable, _rgbToYcc, _yccShift, _dct, _dctScale, _idct, _idctAlpha, _yccToRgb, _rgbShift }) t.Dispose();
    }
}
