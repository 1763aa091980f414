// Port of SwinTransformerBlock, window_partition, window_reverse from zsyOAOA/ResShift models/swin_transformer.py
// (commit 3ce1d81e8402fd50083809ae288a3977f6921bdd; from SwinIR / Swin Transformer, Liu et al., ICCV 2021).
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace HfDiff.Torch.Archs.ResShift;

/// <summary>
/// (Shifted-)window Swin block on NCHW maps: x + W-MSA(norm1(x)); x + MLP(norm2(x)), GroupNorm32 norms.
/// Keys: <c>norm1</c>, <c>attn</c>, <c>norm2</c>, <c>mlp</c>, and the persistent buffer <c>attn_mask</c> when shifted.
/// </summary>
public sealed class SwinTransformerBlock : nn.Module<Tensor, Tensor>
{
    readonly GroupNorm32 norm1;
    readonly WindowAttention attn;
    readonly GroupNorm32 norm2;
    readonly SwinMlp mlp;
    readonly Tensor? attn_mask;

    public int Dim { get; }
    /// <summary>Window side after the construction-time clamp.</summary>
    public int WindowSize { get; }
    /// <summary>Cyclic shift after the construction-time clamp (0 = plain windows).</summary>
    public int ShiftSize { get; }
    public (int H, int W) InputResolution { get; }

    public SwinTransformerBlock(int dim, (int H, int W) inputResolution, int numHeads, int windowSize = 7, int shiftSize = 0,
                                double mlpRatio = 4, bool qkvBias = true, double? qkScale = null, double drop = 0) : base(nameof(SwinTransformerBlock))
    {
        Dim = dim;
        InputResolution = inputResolution;
        // PORT-QUIRK(ResShift, models/swin_transformer.py): the clamp is decided once, from the construction-time
        // input_resolution (image_size / ds), never from the runtime size.
        int minRes = Math.Min(inputResolution.H, inputResolution.W);
        if (minRes <= windowSize) { shiftSize = 0; windowSize = minRes; }
        if (shiftSize < 0 || shiftSize >= windowSize)
            throw new ArgumentOutOfRangeException(nameof(shiftSize), shiftSize, $"shift_size must be in [0, window_size={windowSize}); got {shiftSize}.");
        WindowSize = windowSize;
        ShiftSize = shiftSize;

        norm1 = new GroupNorm32(dim);
        attn = new WindowAttention(dim, windowSize, numHeads, qkvBias, qkScale);
        norm2 = new GroupNorm32(dim);
        mlp = new SwinMlp(dim, (int)(dim * mlpRatio), drop);
        // PORT-QUIRK(ResShift, models/swin_transformer.py): attn_mask is a persistent buffer (so it is in every
        // checkpoint) but forward never reads it, see Forward.
        if (shiftSize > 0) attn_mask = CalculateMask(inputResolution.H, inputResolution.W);
        if (attn_mask is not null) register_buffer("attn_mask", attn_mask, persistent: true);
        register_module("norm1", norm1);
        register_module("attn", attn);
        register_module("norm2", norm2);
        register_module("mlp", mlp);
    }

    /// <summary>Children are registered explicitly under their PyTorch names; no reflection over fields.</summary>
    protected override void RegisterComponents() { }

    /// <summary>
    /// The reference's <c>calculate_mask(x_size)</c>: (num_windows, ws², ws²) float32 with 0 / −100.
    /// PORT-QUIRK(ResShift, models/swin_transformer.py): <c>img_mask</c> is (1,1,H,W) but filled as <c>img_mask[:, h, w, :]</c>,
    /// so the h-slices act on the size-1 channel axis and the w-slices on H: region labels vary only along H. The window
    /// tokens are then flattened through <c>permute(0,2,3,1)</c>, i.e. column-major inside the window. Both kept.
    /// </summary>
    public Tensor CalculateMask(long h, long w)
    {
        if (h % WindowSize != 0 || w % WindowSize != 0)
            throw new ArgumentException($"Swin mask size ({h}, {w}) must be a multiple of window_size {WindowSize}.");
        using var scope = NewDisposeScope();
        var imgMask = zeros(1, 1, h, w);
        (long? Start, long? Stop)[] slices = [(0, -WindowSize), (-WindowSize, -ShiftSize), (-ShiftSize, null)];
        long cnt = 0;
        foreach (var hs in slices)
            foreach (var ws in slices)
            {
                var (c0, c1) = PySlice(hs, imgMask.shape[1]);   // h-slice lands on the channel axis (size 1)
                var (r0, r1) = PySlice(ws, imgMask.shape[2]);   // w-slice lands on H
                if (c1 > c0 && r1 > r0) imgMask[.., TensorIndex.Slice(c0, c1), TensorIndex.Slice(r0, r1), ..] = tensor((float)cnt);
                cnt++;
            }
        var windows = WindowPartition(imgMask, WindowSize).permute(0, 2, 3, 1).contiguous()
                      .view(-1, (long)WindowSize * WindowSize);
        var m = windows.unsqueeze(1) - windows.unsqueeze(2);
        m = m.masked_fill(m.ne(0), -100.0f).masked_fill(m.eq(0), 0.0f);
        return m.MoveToOuterDisposeScope();
    }

    /// <summary>Python slice bounds normalised for a sequence of <paramref name="len"/> (step 1).</summary>
    static (long Start, long Stop) PySlice((long? Start, long? Stop) s, long len)
    {
        static long Norm(long v, long len) => v < 0 ? Math.Max(v + len, 0) : Math.Min(v, len);
        long start = s.Start is { } a ? Norm(a, len) : 0;
        long stop = s.Stop is { } b ? Norm(b, len) : len;
        return (start, Math.Max(start, stop));
    }

    /// <summary>(B, C, H, W) → (num_windows·B, ws, ws, C), windows in row-major order per image.</summary>
    public static Tensor WindowPartition(Tensor x, long ws)
    {
        long b = x.shape[0], c = x.shape[1], h = x.shape[2], w = x.shape[3];
        using var v = x.view(b, c, h / ws, ws, w / ws, ws);
        using var p = v.permute(0, 2, 4, 3, 5, 1);
        return p.contiguous().view(-1, ws, ws, c);
    }

    /// <summary>(num_windows·B, ws, ws, C) → (B, C, H, W).</summary>
    public static Tensor WindowReverse(Tensor windows, long ws, long h, long w)
    {
        long b = windows.shape[0] / (h * w / ws / ws);
        using var v = windows.view(b, h / ws, w / ws, ws, ws, -1);
        using var p = v.permute(0, 5, 1, 3, 2, 4);
        return p.contiguous().view(b, -1, h, w);
    }

    public override Tensor forward(Tensor x)
    {
        long b = x.shape[0], c = x.shape[1], ph = x.shape[2], pw = x.shape[3];
        if (ph % WindowSize != 0 || pw % WindowSize != 0)
            throw new ArgumentException($"Swin block input {ph}x{pw} must be a multiple of window_size {WindowSize} in both sides " +
                                        $"(latent sides must be multiples of image_size / 2^(levels-1)).", nameof(x));
        using var scope = NewDisposeScope();
        var shortcut = x;
        var h = norm1.call(x);
        if (ShiftSize > 0) h = roll(h, [-ShiftSize, -ShiftSize], [2, 3]);
        var windows = WindowPartition(h, WindowSize).view(-1, (long)WindowSize * WindowSize, c);

        // PORT-QUIRK(ResShift, models/swin_transformer.py): `self.input_resolution == x_size` compares a list with a tuple,
        // so it is never true: the stored attn_mask is ignored and the (buggy) mask is recomputed for the runtime size.
        // With shift 0 that mask is all zeros, and adding zeros is the identity, so it is skipped.
        Tensor? mask = ShiftSize > 0 ? CalculateMask(ph, pw).to(x.dtype, x.device) : null;
        var attnWindows = attn.call(windows, mask).view(-1, WindowSize, WindowSize, c);
        h = WindowReverse(attnWindows, WindowSize, ph, pw);
        if (ShiftSize > 0) h = roll(h, [ShiftSize, ShiftSize], [2, 3]);

        var y = shortcut + h;
        y = y + mlp.call(norm2.call(y));
        return y.MoveToOuterDisposeScope();
    }
}
