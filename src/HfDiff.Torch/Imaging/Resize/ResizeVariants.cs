// Tap rules ported from
//   pyiqa:   chaofengc/IQA-PyTorch pyiqa/matlab_utils/resize.py (commit 01ae427f9afd66842031d3a7cb694dcad5b5cbb8; Sanghyun
//            Son's bicubic_pytorch), get_padding / get_weight / reflect_padding;
//   BasicSR: XPixelGroup/BasicSR basicsr/utils/matlab_functions.py (commit 8d56e3a045f9fb3e1d8872f92ee4a4f07f886b0a),
//            calculate_weights_indices;
//   torch:   aten/src/ATen/native/UpSample.h (torch 1.13), upsample_bicubic2d with align_corners=False.
//
// The three bicubic resizes side by side. Each is held to fixtures of its own reference, so none is rewritten in terms of
// another: they differ in the last bits, and the fixtures were made with those bits.
//
//                      MatlabResize.PyiqaFloat32     MatlabResize.BasicSrFloat64     MusiqBicubic.Resize
//   used by            NIQE (half-scale image)       degradation tests (BasicSR      MUSIQ multi-scale patches
//                                                    imresize; no caller in src yet)
//   reference          MATLAB imresize via pyiqa     MATLAB imresize via BasicSR     torch F.interpolate bicubic
//   kernel             MATLAB cubic, a = −0.5        MATLAB cubic, a = −0.5          Keys cubic, a = −0.75 (Horner form)
//   scales             downscale only (0 < s < 1)    any s > 0                       any output size
//   antialiasing       always (kernel widened 1/s)   optional, downscaling only      never
//   taps per output    ceil(4/s) + 2                 ceil(4/s) + 2 (aa), else 6      4
//   window start       floor(c) − taps/2 + 1         floor(c + 1 − width/2) − 1      floor(c) − 1
//   weight of tap x    cubic((c − x)·s) / Σ          s·cubic((c − x)·s) / Σ (aa),    keys(c − x), not normalised
//                                                    else cubic(c − x) / Σ           (Keys sums to 1)
//   (c = 0-based source centre of output i, (i + 0.5)·in/out − 0.5; s = out/in; width = 4/s (aa) or 4. Each variant
//   evaluates these in its own precision and expression form; the two MATLAB windows may be one tap apart, with a
//   zero weight at the end.)
//   precision          float32 throughout            float64 weights and matmul      float32 scale, float64
//                                                    (result cast to input dtype)    coordinate and weights, float32 taps
//   boundary           symmetric (edge repeated)     symmetric (edge repeated)       clamp to edge
//   application        H then W, float32 sums of     dense W_h · x · W_wᵀ (matmul)   W (x-taps) then H, float32
//                      rounded products (no FMA)                                     tensor sums in tap order
//
// Not here: Pillow's 8-bit fixed-point bicubic of the eval baseline (Evaluation/PilBicubic) and torch's own interpolate
// (Degradations/Interpolation), both already exact against their references.
namespace HfDiff.Torch.Imaging.Resize;

/// <summary>The source indices and weights of each resize variant (the table at the top of this file compares them).</summary>
internal static class ResizeVariants
{
    /// <summary>pyiqa's taps (float32): resize_1d's index and weight, with the symmetric padding folded into the index.</summary>
    public static ResizeTaps<float> PyiqaMatlab(int inSize, int outSize, double scale)
    {
        float s = (float)scale;
        int ks = (int)Math.Ceiling(4 / scale) + 2; // cubic support 4, widened by 1/scale, plus a margin of 2
        var taps = new ResizeTaps<float>(outSize, ks);
        for (int i = 0; i < outSize; i++)
        {
            var weight = taps.Weight.AsSpan(i * ks, ks);
            float pos = ((float)i + 0.5f) / s - 0.5f;
            float bas = MathF.Floor(pos) - ks / 2 + 1;
            float dist = pos - bas;
            float sum = 0;
            for (int k = 0; k < ks; k++)
            {
                weight[k] = CubicKernel.Matlab((dist - k) * s);
                sum += weight[k];
            }
            for (int k = 0; k < ks; k++) weight[k] /= sum;
            int b0 = (int)bas;
            for (int k = 0; k < ks; k++) taps.Index[i * ks + k] = Symmetric(b0 + k, inSize);
        }
        return taps;
    }

    /// <summary>BasicSR's <c>calculate_weights_indices</c> (float64), with the symmetric padding folded into the index.</summary>
    public static ResizeTaps<double> BasicSrMatlab(int inSize, int outSize, double scale, bool antialiasing)
    {
        double kernelWidth = 4;
        bool aa = scale < 1 && antialiasing;
        if (aa) kernelWidth /= scale;
        int p = (int)Math.Ceiling(kernelWidth) + 2;
        var taps = new ResizeTaps<double>(outSize, p);
        for (int o = 0; o < outSize; o++)
        {
            var weight = taps.Weight.AsSpan(o * p, p);
            // 1-based output coordinate mapped so that 0.5 in output space maps to 0.5 in input space.
            double x = o + 1;
            double u = x / scale + 0.5 * (1 - 1 / scale);
            double left = Math.Floor(u - kernelWidth / 2);
            double sum = 0;
            for (int t = 0; t < p; t++)
            {
                double d = u - (left + t);
                weight[t] = aa ? scale * CubicKernel.Matlab(d * scale) : CubicKernel.Matlab(d);
                sum += weight[t];
            }
            for (int t = 0; t < p; t++)
            {
                weight[t] /= sum;
                taps.Index[o * p + t] = Symmetric((int)(left + t) - 1, inSize); // left is 1-based
            }
        }
        return taps;
    }

    /// <summary>
    /// torch 1.13's bicubic taps for <c>align_corners=False</c> on CPU: 4 clamped indices and float32-rounded Keys weights
    /// (a = −0.75) per output position.
    /// </summary>
    /// <remarks>
    /// PORT-QUIRK(pyiqa, multiscale_trans_util.py resize_preserve_aspect_ratio): libtorch 2.x evaluates the source
    /// coordinate <c>scale·(i+0.5)−0.5</c> in float32, whose rounding (1 ulp ≈ 1.5e-5 near pixel 160) moves the cubic
    /// weights; torch 1.13 kept that coordinate in double. Measured on the fixture images, libtorch 2.10's interpolate is
    /// up to 1.2e-5 from torch 1.13, this separable evaluation (float32 scale, double coordinate and weights, float32
    /// accumulation: x-taps, then y-taps) ≤ 1e-6.
    /// </remarks>
    public static ResizeTaps<float> Torch113Bicubic(long inSize, long outSize)
    {
        const double A = -0.75;
        float scale = (float)inSize / outSize;           // area_pixel_compute_scale<float>
        var taps = new ResizeTaps<float>(checked((int)outSize), 4);
        for (long i = 0; i < outSize; i++)
        {
            double real = scale * (i + 0.5) - 0.5;       // cubic: no clamping of the source coordinate
            long floor = (long)Math.Floor(real);
            double t = real - floor;
            double[] c = [CubicKernel.TorchFar(t + 1, A), CubicKernel.TorchNear(t, A), CubicKernel.TorchNear(1 - t, A), CubicKernel.TorchFar(2 - t, A)];
            for (int j = 0; j < 4; j++)
            {
                taps.Index[i * 4 + j] = (int)Math.Clamp(floor - 1 + j, 0, inSize - 1);
                taps.Weight[i * 4 + j] = (float)c[j];
            }
        }
        return taps;
    }

    /// <summary>MATLAB 'symmetric' padding (edge sample repeated), folded: −1 → 0, −2 → 1, n → n−1, n+1 → n−2, ...</summary>
    static int Symmetric(int t, int n)
    {
        if (n == 1) return 0;
        int period = 2 * n;
        t %= period;
        if (t < 0) t += period;
        return t < n ? t : period - 1 - t;
    }
}
