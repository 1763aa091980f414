// Port of the ResShift / SinSR inference wrapper (pre/post-processing and chopping).
// Source: zsyOAOA/ResShift @ 3ce1d81e8402fd50083809ae288a3977f6921bdd, sampler.py (ResShiftSampler.sample_func, inference
//         ._process_per_image), models/gaussian_diffusion.py (encode_first_stage, decode_first_stage),
//         utils/util_image.py (ImageSpliterTh); wyf0912/SinSR @ f1735490e980162435391162ddd18c0642327c5b, sampler.py
//         (Sampler.sample_func, inference).
// Papers: ResShift (NeurIPS 2023), SinSR (CVPR 2024).
using HfDiff.Torch.Schedules;
using TorchSharp;
using static TorchSharp.torch;

using HfDiff.Torch.Samplers;

namespace HfDiff.Torch.Pipelines;

/// <summary>
/// Latent diffusion SR end to end: LR [0,1] → y₀ = 2·lr − 1 → reflect pad right/bottom to a multiple of
/// <see cref="LatentSrPipelineOptions.PaddingMultiple"/> → bicubic ×sf → <see cref="ILatentAutoencoder.Encode"/> (× scale_factor)
/// → <see cref="ILatentSrSampler"/> → ÷ scale_factor → <see cref="ILatentAutoencoder.Decode"/> → crop to sf × the LR size →
/// clamp [−1, 1] → [0, 1]. Large images are chopped into overlapping LR tiles that are super-resolved independently and blended.
/// All work runs under no_grad with one dispose scope per tile and per sampler step.
/// </summary>
public sealed class LatentSrPipeline : IDisposable
{
    readonly LatentDenoiser _denoiser;
    readonly ILatentAutoencoder _autoencoder;
    readonly INoiseSource _noise;
    readonly bool _ownsNoise;

    /// <param name="sampler">The chain (ResShift 15-step, SinSR one-step, DDIM…); its schedule gives sf and scale_factor.</param>
    /// <param name="denoiser">The network called by the sampler.</param>
    /// <param name="autoencoder">The first-stage model.</param>
    /// <param name="options">Padding and tiling; defaults are the official inference settings.</param>
    /// <param name="noise">Noise for every draw, in order (tile by tile); default a <see cref="GeneratorNoiseSource"/> with seed 12345
    /// (the official <c>--seed</c> default), owned and disposed by the pipeline.</param>
    public LatentSrPipeline(ILatentSrSampler sampler, LatentDenoiser denoiser, ILatentAutoencoder autoencoder,
        LatentSrPipelineOptions? options = null, INoiseSource? noise = null)
    {
        Sampler = sampler ?? throw new ArgumentNullException(nameof(sampler));
        _denoiser = denoiser ?? throw new ArgumentNullException(nameof(denoiser));
        _autoencoder = autoencoder ?? throw new ArgumentNullException(nameof(autoencoder));
        Options = options ?? new LatentSrPipelineOptions();
        if (Options.PaddingMultiple < 1)
            throw new ArgumentOutOfRangeException(nameof(options), $"paddingMultiple must be >= 1; got {Options.PaddingMultiple}.");
        if (Options.TileSize < 1)
            throw new ArgumentOutOfRangeException(nameof(options), $"tileSize must be >= 1; got {Options.TileSize}.");
        if (Options.TileStride < 1 || Options.TileStride > Options.TileSize)
            throw new ArgumentOutOfRangeException(nameof(options), $"tileStride must be in [1, tileSize={Options.TileSize}]; got {Options.TileStride}.");
        if (Options.TileBatchSize < 1)
            throw new ArgumentOutOfRangeException(nameof(options), $"tileBatchSize must be >= 1; got {Options.TileBatchSize}.");
        _ownsNoise = noise is null;
        _noise = noise ?? new GeneratorNoiseSource(12345);
    }

    public ILatentSrSampler Sampler { get; }
    public LatentSrPipelineOptions Options { get; }
    /// <summary>Super-resolution factor (<c>diffusion.params.sf</c>).</summary>
    public int Sf => Sampler.Schedule.Options.Sf;

    // ------------------------------------------------------------------------------------------- whole image

    /// <summary>
    /// Super-resolves (B, 3, h, w) float32 RGB in [0, 1] to (B, 3, sf·h, sf·w) float32 in [0, 1]. Chops into tiles when
    /// h or w exceeds <see cref="LatentSrPipelineOptions.TileSize"/> (as <c>inference._process_per_image</c>).
    /// </summary>
    public Tensor SuperResolve(Tensor lr01)
    {
        CheckImage(lr01, nameof(lr01));
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        long h = lr01.shape[2], w = lr01.shape[3];
        Tensor m11 = h > Options.TileSize || w > Options.TileSize ? SampleTiled(lr01) : SampleFunc((lr01 - 0.5) / 0.5);
        // clamp keeps NaN, and a PNG writer would turn it into black pixels: never hand out such an image silently.
        if (!isfinite(m11).all().item<bool>())
            throw new NonFiniteOutputException(
                $"Super-resolution produced non-finite values (NaN/Inf) for a {h}x{w} input: the checkpoint weights or the input are damaged.");
        return (m11 * 0.5 + 0.5).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// <c>sample_func</c> for one image or tile: (B, 3, h, w) float32 in [−1, 1] → (B, 3, sf·h, sf·w) float32 clamped to [−1, 1].
    /// </summary>
    public Tensor SampleFunc(Tensor y0) => SampleFunc(y0, _noise);

    Tensor SampleFunc(Tensor y0, INoiseSource noise)
    {
        CheckImage(y0, nameof(y0));
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        long h = y0.shape[2], w = y0.shape[3];
        var lq = PadToMultiple(y0, Options.PaddingMultiple, Options.SmallSidePadding);
        var zY = EncodeFirstStage(lq);
        var z = Sampler.Sample(zY, lq, _denoiser, noise);
        var decoded = DecodeFirstStage(z);
        return CropAndClamp(decoded, h, w, Sf).MoveToOuterDisposeScope();
    }

    /// <summary><c>encode_first_stage(y, up_sample=True)</c>: bicubic ×sf, Encode, × scale_factor.</summary>
    public Tensor EncodeFirstStage(Tensor y0Padded)
    {
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        var up = Upsample(y0Padded, Sf);
        var z = _autoencoder.Encode(up);
        double s = Sampler.Schedule.Options.ScaleFactor;
        if (s != 1.0) z = z * s;
        return z.MoveToOuterDisposeScope();
    }

    /// <summary><c>decode_first_stage</c>: Decode(z / scale_factor) (written 1/scale_factor · z as the reference).</summary>
    public Tensor DecodeFirstStage(Tensor z)
    {
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        double s = Sampler.Schedule.Options.ScaleFactor;
        var input = s != 1.0 ? z * (1.0 / s) : z;
        return _autoencoder.Decode(input).MoveToOuterDisposeScope();
    }

    // ------------------------------------------------------------------------------------------- stages (pure)

    /// <summary>
    /// Pads (B, C, h, w) right/bottom to multiples of <paramref name="multiple"/> with reflect padding
    /// (<c>F.pad(y0, (0, pad_w, 0, pad_h), mode='reflect')</c>); returns an alias when no padding is needed.
    /// Sides too small for one reflect pass are handled per <paramref name="smallSides"/>.
    /// </summary>
    public static Tensor PadToMultiple(Tensor y0, int multiple, SmallSidePadding smallSides = SmallSidePadding.IteratedReflect)
    {
        if (multiple < 1) throw new ArgumentOutOfRangeException(nameof(multiple), $"multiple must be >= 1; got {multiple}.");
        if (y0.dim() != 4) throw new ArgumentException($"y0 must be (B, C, H, W); got [{string.Join(", ", y0.shape)}].", nameof(y0));
        long h = y0.shape[2], w = y0.shape[3];
        long padH = (h + multiple - 1) / multiple * multiple - h;
        long padW = (w + multiple - 1) / multiple * multiple - w;
        if (padH == 0 && padW == 0) return y0.alias();
        using var scope = NewDisposeScope();
        if ((padH == 0 || padH < h) && (padW == 0 || padW < w))
            return nn.functional.pad(y0, new[] { 0L, padW, 0L, padH }, PaddingModes.Reflect).MoveToOuterDisposeScope();

        switch (smallSides)
        {
            case SmallSidePadding.Throw:
                throw new ArgumentException(
                    $"Cannot reflect-pad a {h}x{w} image to a multiple of {multiple}: reflect padding needs pad < side " +
                    $"(pad {padH}x{padW}). Use SmallSidePadding.IteratedReflect or Replicate.", nameof(y0));
            case SmallSidePadding.Replicate:
                return nn.functional.pad(y0, new[] { 0L, padW, 0L, padH }, PaddingModes.Replicate).MoveToOuterDisposeScope();
            default:
                var x = y0.alias();
                while (padH > 0 || padW > 0)
                {
                    long curH = x.shape[2], curW = x.shape[3];
                    long ph = Math.Min(padH, curH - 1), pw = Math.Min(padW, curW - 1);
                    if (ph == 0 && pw == 0)
                    {
                        // A 1-px side cannot be reflected: replicate what is left.
                        x = nn.functional.pad(x, new[] { 0L, padW, 0L, padH }, PaddingModes.Replicate);
                        break;
                    }
                    x = nn.functional.pad(x, new[] { 0L, pw, 0L, ph }, PaddingModes.Reflect);
                    padH -= ph;
                    padW -= pw;
                }
                return x.MoveToOuterDisposeScope();
        }
    }

    /// <summary><c>F.interpolate(x, scale_factor=sf, mode='bicubic')</c>: align_corners=False, no antialias; identity for sf = 1.</summary>
    public static Tensor Upsample(Tensor x, int sf)
    {
        if (sf == 1) return x.alias();
        return nn.functional.interpolate(x, scale_factor: new double[] { sf, sf }, mode: InterpolationMode.Bicubic, align_corners: false);
    }

    /// <summary>Crops (B, C, H, W) to the top-left sf·h × sf·w and clamps to [−1, 1].</summary>
    public static Tensor CropAndClamp(Tensor decoded, long lrHeight, long lrWidth, int sf)
    {
        long hh = lrHeight * sf, ww = lrWidth * sf;
        if (decoded.shape[2] < hh || decoded.shape[3] < ww)
            throw new ArgumentException(
                $"decoded image [{string.Join(", ", decoded.shape)}] is smaller than {sf} x the LR size {lrHeight}x{lrWidth}.", nameof(decoded));
        using var scope = NewDisposeScope();
        var cropped = decoded[.., .., ..(int)hh, ..(int)ww];
        return cropped.clamp(-1.0, 1.0).MoveToOuterDisposeScope();
    }

    // ------------------------------------------------------------------------------------------- tiling

    /// <summary>
    /// <c>ImageSpliterTh.extract_starts</c>: starts 0, stride, 2·stride, … with every start that would overrun moved back to
    /// length − tileSize, duplicates removed (order kept); [0] when length ≤ tileSize.
    /// </summary>
    public static IReadOnlyList<int> TileStarts(int length, int tileSize, int stride)
    {
        if (length <= tileSize) return new[] { 0 };
        var starts = new List<int>();
        for (int s = 0; s < length; s += stride)
        {
            int v = s + tileSize > length ? length - tileSize : s;
            if (!starts.Contains(v)) starts.Add(v);
        }
        return starts;
    }

    /// <summary>
    /// The blending weight of a (height × width) output tile as (1, 1, height, width) float64
    /// (<c>ImageSpliterTh.get_weight</c>).
    /// </summary>
    public static Tensor TileWeight(int height, int width, TileBlending blending)
    {
        if (blending == TileBlending.Uniform) return ones(new long[] { 1, 1, height, width }, dtype: ScalarType.Float64);
        using var scope = NewDisposeScope();
        var kh = tensor(GaussianKernel1d(height), dtype: ScalarType.Float64).reshape(height, 1);
        var kw = tensor(GaussianKernel1d(width), dtype: ScalarType.Float64).reshape(1, width);
        return kh.matmul(kw).reshape(1, 1, height, width).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// <c>ImageSpliterTh.generate_kernel_1d</c>: OpenCV <c>getGaussianKernel</c> with σ = 0.3((k−1)·0.5 − 1) + 0.8; for even k the
    /// (k+1)-tap kernel without its first tap.
    /// </summary>
    public static double[] GaussianKernel1d(int ksize)
    {
        if (ksize < 1) throw new ArgumentOutOfRangeException(nameof(ksize), $"ksize must be >= 1; got {ksize}.");
        double sigma = 0.3 * ((ksize - 1) * 0.5 - 1) + 0.8;
        int n = ksize % 2 == 0 ? ksize + 1 : ksize;
        var k = new double[n];
        double scale2X = -0.5 / (sigma * sigma), sum = 0;
        for (int i = 0; i < n; i++)
        {
            double x = i - (n - 1) * 0.5;
            k[i] = Math.Exp(scale2X * x * x);
            sum += k[i];
        }
        for (int i = 0; i < n; i++) k[i] /= sum;
        return ksize % 2 == 0 ? k[1..] : k;
    }

    /// <summary>
    /// Chops (B, 3, h, w) [0, 1] into tiles (row-major over the start grid), runs <see cref="SampleFunc"/> on each and
    /// blends the outputs with <see cref="TileWeight"/> in float64. Returns [−1, 1] float32 of size sf·h × sf·w.
    /// </summary>
    Tensor SampleTiled(Tensor lr01)
    {
        int h = (int)lr01.shape[2], w = (int)lr01.shape[3], sf = Sf;
        var hs = TileStarts(h, Options.TileSize, Options.TileStride);
        var ws = TileStarts(w, Options.TileSize, Options.TileStride);
        var starts = hs.SelectMany(h0 => ws.Select(w0 => (h0, w0))).ToList();   // row-major, the reference's order
        // Tiles are batched only when every tile's draws can be handed out as in a one-tile-at-a-time run.
        int batch = lr01.shape[0] == 1 && Sampler.NoiseDrawsPerSample is int ? Math.Max(1, Options.TileBatchSize) : 1;
        using var outer = NewDisposeScope();
        var acc = zeros(new long[] { lr01.shape[0], lr01.shape[1], (long)h * sf, (long)w * sf }, dtype: ScalarType.Float64, device: lr01.device);
        var weight = zeros(new long[] { 1, 1, (long)h * sf, (long)w * sf }, dtype: ScalarType.Float64, device: lr01.device);
        for (int first = 0; first < starts.Count; first += batch)
        {
            using var scope = NewDisposeScope();
            var group = starts.Skip(first).Take(batch).ToList();
            int th = Math.Min(Options.TileSize, h - group[0].h0), tw = Math.Min(Options.TileSize, w - group[0].w0);
            // Every start moved back from an overrun makes all tiles full-size, so a group stacks into one batch.
            var tiles = group.Select(s => lr01[.., .., s.h0..(s.h0 + th), s.w0..(s.w0 + tw)]).ToArray();
            Tensor sr;
            if (tiles.Length == 1)
                sr = SampleFunc((tiles[0] - 0.5) / 0.5);      // each tile is a separate sample_func call (own noise draws)
            else
            {
                using var noise = new TileBatchNoiseSource(_noise, Sampler.NoiseDrawsPerSample!.Value);
                sr = SampleFunc((cat(tiles, 0) - 0.5) / 0.5, noise);
            }
            var wt = TileWeight((int)sr.shape[2], (int)sr.shape[3], Options.TileBlending).to(lr01.device);
            for (int i = 0; i < group.Count; i++)
            {
                var (h0, w0) = group[i];
                var region = (h0 * sf)..((h0 + th) * sf);
                var regionW = (w0 * sf)..((w0 + tw) * sf);
                acc[.., .., region, regionW].add_(sr[i..(i + 1)].to_type(ScalarType.Float64) * wt);
                weight[.., .., region, regionW].add_(wt);
            }
        }
        return (acc / weight).to_type(ScalarType.Float32).MoveToOuterDisposeScope();
    }

    static void CheckImage(Tensor x, string name)
    {
        ArgumentNullException.ThrowIfNull(x, name);
        if (x.dim() != 4 || x.shape[1] != 3)
            throw new ArgumentException($"{name} must be a (B, 3, H, W) RGB tensor; got [{string.Join(", ", x.shape)}].", name);
        if (x.dtype != ScalarType.Float32)
            throw new ArgumentException($"{name} must be float32; got {x.dtype}.", name);
    }

    public void Dispose()
    {
        if (_ownsNoise && _noise is IDisposable d) d.Dispose();
    }
}
