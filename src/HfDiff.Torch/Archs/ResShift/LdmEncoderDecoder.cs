// Port of Encoder / Decoder from zsyOAOA/ResShift ldm/modules/diffusionmodules/model.py
// (commit 3ce1d81e8402fd50083809ae288a3977f6921bdd; from CompVis latent-diffusion / taming-transformers,
// Esser et al., CVPR 2021; Rombach et al., CVPR 2022).
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace HfDiff.Torch.Archs.ResShift;

/// <summary>One resolution level: <c>block</c> (ResnetBlocks), <c>attn</c> (AttnBlocks, possibly empty) and an optional resampler.</summary>
internal sealed class LdmLevel : nn.Module
{
    public readonly LdmResnetBlock[] Blocks;
    public readonly nn.Module<Tensor, Tensor>[] Attn;
    public readonly nn.Module<Tensor, Tensor>? Resample;

    public LdmLevel(LdmResnetBlock[] blocks, nn.Module<Tensor, Tensor>[] attn, string resampleName, nn.Module<Tensor, Tensor>? resample) : base("Level")
    {
        Blocks = blocks; Attn = attn; Resample = resample;
        register_module("block", nn.ModuleList(blocks));
        register_module("attn", nn.ModuleList(attn));
        if (resample is not null) register_module(resampleName, resample);
    }

    /// <summary>block[i] then attn[i] when the level has attention (the reference checks len(attn) > 0).</summary>
    /// <summary>Children are registered explicitly under their PyTorch names; no reflection over fields.</summary>
    protected override void RegisterComponents() { }

    public Tensor Block(int i, Tensor h)
    {
        var y = Blocks[i].call(h);
        return Attn.Length == 0 ? y : LdmEncoder.Replace(y, Attn[i].call(y));
    }
}

/// <summary>Middle: <c>block_1</c>, <c>attn_1</c>, <c>block_2</c>.</summary>
internal sealed class LdmMid : nn.Module<Tensor, Tensor>
{
    readonly LdmResnetBlock block_1;
    readonly nn.Module<Tensor, Tensor> attn_1;
    readonly LdmResnetBlock block_2;

    public LdmMid(long channels, double dropout, string attnType) : base("Mid")
    {
        block_1 = new LdmResnetBlock(channels, channels, dropout: dropout);
        attn_1 = LdmAttn.Make(channels, attnType);
        block_2 = new LdmResnetBlock(channels, channels, dropout: dropout);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        var h = block_1.call(x);
        h = LdmEncoder.Replace(h, attn_1.call(h));   // attn_1 may be an Identity
        return block_2.call(h).MoveToOuterDisposeScope();
    }
}

internal static class LdmAttn
{
    /// <summary>make_attn: "vanilla" → AttnBlock, "none" → Identity.</summary>
    public static nn.Module<Tensor, Tensor> Make(long channels, string attnType) =>
        attnType == "none" ? nn.Identity() : new LdmAttnBlock(channels);
}

/// <summary>
/// LDM encoder: <c>conv_in</c>, <c>down[i]</c> levels (ResnetBlocks, attention at <c>attn_resolutions</c>, asymmetric-pad
/// stride-2 downsample except the last level), <c>mid</c> (block, attention, block), <c>norm_out</c>, swish, <c>conv_out</c>.
/// </summary>
public sealed class LdmEncoder : nn.Module<Tensor, Tensor>
{
    readonly Conv2d conv_in;
    readonly LdmLevel[] _down;
    readonly LdmMid mid;
    readonly GroupNorm norm_out;
    readonly Conv2d conv_out;

    public LdmEncoder(DdConfig c) : base("Encoder")
    {
        ArgumentNullException.ThrowIfNull(c);
        c.Validate();
        conv_in = nn.Conv2d(c.InChannels, c.Ch, 3, stride: 1, padding: 1);
        int currRes = c.Resolution;
        int[] inChMult = [1, .. c.ChMult];
        long blockIn = 0;
        _down = new LdmLevel[c.ChMult.Count];
        for (int level = 0; level < c.ChMult.Count; level++)
        {
            var blocks = new List<LdmResnetBlock>();
            var attn = new List<nn.Module<Tensor, Tensor>>();
            blockIn = (long)c.Ch * inChMult[level];
            long blockOut = (long)c.Ch * c.ChMult[level];
            for (int i = 0; i < c.NumResBlocks[level]; i++)
            {
                blocks.Add(new LdmResnetBlock(blockIn, blockOut, dropout: c.Dropout));
                blockIn = blockOut;
                if (c.AttnResolutions.Contains(currRes)) attn.Add(LdmAttn.Make(blockIn, c.AttnType));
            }
            LdmDownsample? down = null;
            if (level != c.ChMult.Count - 1)
            {
                down = new LdmDownsample(blockIn, c.ResampWithConv);
                currRes /= 2;
            }
            _down[level] = new LdmLevel([.. blocks], [.. attn], "downsample", down);
        }
        mid = new LdmMid(blockIn, c.Dropout, c.AttnType);
        norm_out = LdmResnetBlock.Normalize(blockIn);
        conv_out = nn.Conv2d(blockIn, c.DoubleZ ? 2 * c.ZChannels : c.ZChannels, 3, stride: 1, padding: 1);

        register_module("conv_in", conv_in);
        register_module("down", nn.ModuleList<LdmLevel>(_down));
        register_module("mid", mid);
        register_module("norm_out", norm_out);
        register_module("conv_out", conv_out);
    }

    /// <summary>Children are registered explicitly under their PyTorch names; no reflection over fields.</summary>
    protected override void RegisterComponents() { }

    /// <summary>Disposes <paramref name="old"/> and returns <paramref name="next"/> (a stage's input is not needed once its output exists).</summary>
    internal static Tensor Replace(Tensor old, Tensor next)
    {
        if (!ReferenceEquals(old, next)) old.Dispose();
        return next;
    }

    /// <summary>(B, in_channels, H, W) image in [−1, 1] → (B, z_channels, H/f, W/f) features (f = 2^(levels−1)).</summary>
    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        // Skip features (hs) are only needed by the UNet-style Model, not by the Encoder: keep the last one, and release
        // each stage's input as soon as its output exists (peak memory ~ two maps, not every map of the encoder).
        var h = PaddedOutputConv.Call(conv_in, x);
        foreach (var level in _down)
        {
            for (int i = 0; i < level.Blocks.Length; i++) h = Replace(h, level.Block(i, h));
            if (level.Resample is not null) h = Replace(h, level.Resample.call(h));
        }
        h = Replace(h, mid.call(h));
        h = Replace(h, norm_out.call(h));
        h.silu_();
        h = Replace(h, PaddedOutputConv.Call(conv_out, h));
        return h.MoveToOuterDisposeScope();
    }
}

/// <summary>
/// LDM decoder: <c>conv_in</c>, <c>mid</c>, <c>up[i]</c> levels run from the lowest resolution up (num_res_blocks+1
/// ResnetBlocks each, nearest ×2 + conv upsample except level 0), <c>norm_out</c>, swish, <c>conv_out</c> (optionally tanh).
/// </summary>
public sealed class LdmDecoder : nn.Module<Tensor, Tensor>
{
    readonly Conv2d conv_in;
    readonly LdmMid mid;
    readonly LdmLevel[] _up;
    readonly GroupNorm norm_out;
    readonly Conv2d conv_out;
    readonly bool _givePreEnd, _tanhOut;

    public LdmDecoder(DdConfig c) : base("Decoder")
    {
        ArgumentNullException.ThrowIfNull(c);
        c.Validate();
        int n = c.ChMult.Count;
        long blockIn = (long)c.Ch * c.ChMult[n - 1];
        int currRes = c.Resolution / (1 << (n - 1));
        conv_in = nn.Conv2d(c.ZChannels, blockIn, 3, stride: 1, padding: 1);
        mid = new LdmMid(blockIn, c.Dropout, c.AttnType);
        _up = new LdmLevel[n];
        for (int level = n - 1; level >= 0; level--)
        {
            var blocks = new List<LdmResnetBlock>();
            var attn = new List<nn.Module<Tensor, Tensor>>();
            long blockOut = (long)c.Ch * c.ChMult[level];
            for (int i = 0; i < c.NumResBlocks[level] + 1; i++)
            {
                blocks.Add(new LdmResnetBlock(blockIn, blockOut, dropout: c.Dropout));
                blockIn = blockOut;
                if (c.AttnResolutions.Contains(currRes)) attn.Add(LdmAttn.Make(blockIn, c.AttnType));
            }
            LdmUpsample? up = null;
            if (level != 0)
            {
                up = new LdmUpsample(blockIn, c.ResampWithConv);
                currRes *= 2;
            }
            _up[level] = new LdmLevel([.. blocks], [.. attn], "upsample", up);   // reference: up.insert(0, ...)
        }
        norm_out = LdmResnetBlock.Normalize(blockIn);
        conv_out = nn.Conv2d(blockIn, c.OutCh, 3, stride: 1, padding: 1);
        _givePreEnd = c.GivePreEnd;
        _tanhOut = c.TanhOut;

        register_module("conv_in", conv_in);
        register_module("mid", mid);
        register_module("up", nn.ModuleList<LdmLevel>(_up));
        register_module("norm_out", norm_out);
        register_module("conv_out", conv_out);
    }

    /// <summary>Children are registered explicitly under their PyTorch names; no reflection over fields.</summary>
    protected override void RegisterComponents() { }

    /// <summary><c>conv_out.weight</c>: the last layer, whose gradients set VQGAN's adaptive GAN weight (<c>get_last_layer</c>).</summary>
    public Parameter ConvOutWeight => conv_out.weight!;

    /// <summary>
    /// forward() as a chain of stages (conv_in, mid, each ResnetBlock with its attention, each upsample, the output head):
    /// applying them in order gives forward's values. Each stage returns a new tensor and leaves its input alive.
    /// </summary>
    internal IReadOnlyList<Func<Tensor, Tensor>> Stages()
    {
        var stages = new List<Func<Tensor, Tensor>> { z => PaddedOutputConv.Call(conv_in, z), h => mid.call(h) };
        for (int level = _up.Length - 1; level >= 0; level--)
        {
            var lv = _up[level];
            for (int i = 0; i < lv.Blocks.Length; i++)
            {
                int block = i;
                stages.Add(h => lv.Block(block, h));
            }
            if (lv.Resample is { } resample) stages.Add(h => resample.call(h));
        }
        if (!_givePreEnd)
            stages.Add(h =>
            {
                using var scope = NewDisposeScope();
                var y = norm_out.call(h);
                y.silu_();
                y = LdmEncoder.Replace(y, PaddedOutputConv.Call(conv_out, y));
                if (_tanhOut) y = LdmEncoder.Replace(y, y.tanh());
                return y.MoveToOuterDisposeScope();
            });
        return stages;
    }

    /// <summary>forward(z) keeping each stage's input for a later stage-by-stage input gradient (<see cref="LdmDecoderTrace"/>).</summary>
    public LdmDecoderTrace Trace(Tensor z) => new(Stages(), z);

    /// <summary>(B, z_channels, h, w) → (B, out_ch, h·f, w·f) image (≈[−1, 1]): the <see cref="Stages"/> in order, each
    /// stage's input released once its output exists.</summary>
    public override Tensor forward(Tensor z)
    {
        using var scope = NewDisposeScope();
        var h = z;
        foreach (var stage in Stages())
        {
            var next = stage(h);
            h = ReferenceEquals(h, z) ? next : LdmEncoder.Replace(h, next);
        }
        return h.MoveToOuterDisposeScope();
    }
}
