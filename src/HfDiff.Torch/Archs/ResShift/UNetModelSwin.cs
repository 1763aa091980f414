// Port of UNetModelSwin from zsyOAOA/ResShift models/unet.py (commit 3ce1d81e8402fd50083809ae288a3977f6921bdd) and
// its copy in wyf0912/SinSR models/unet.py (commit f1735490e980162435391162ddd18c0642327c5b).
// ResShift: Yue et al., "ResShift: Efficient Diffusion Model for Image Super-resolution by Residual Shifting", NeurIPS 2023.
// SinSR: Wang et al., "SinSR: Diffusion-Based Image Super-Resolution in a Single Step", CVPR 2024.
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace HfDiff.Torch.Archs.ResShift;

/// <summary>
/// The ResShift / SinSR denoiser: a guided-diffusion UNet whose attention blocks are Swin stages, conditioned on the
/// LQ image by channel concatenation. It predicts x0 in latent space; it knows nothing about schedules (the caller
/// scales the input). State-dict keys are the official ones (<c>time_embed.0.weight</c>, <c>input_blocks.1.1.blocks.0.attn.qkv.weight</c>, …).
/// </summary>
public sealed class UNetModelSwin : nn.Module
{
    readonly Linear _timeEmbed0, _timeEmbed2;
    readonly nn.Module<Tensor, Tensor>? _featureExtractor;
    readonly List<TimestepEmbedSequential> _inputBlocks = [];
    readonly TimestepEmbedSequential _middleBlock;
    readonly List<TimestepEmbedSequential> _outputBlocks = [];
    readonly GroupNorm32 _outNorm;
    readonly Conv2d _outConv;

    public UNetModelSwinOptions Options { get; }

    /// <summary>Channels the first conv expects (latent + conditioning).</summary>
    public int InputConvChannels { get; }

    public UNetModelSwin(UNetModelSwinOptions options) : base(nameof(UNetModelSwin))
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        Options = options;
        var o = options;
        int mc = o.ModelChannels;
        int timeEmbedDim = mc * 4;
        int heads = o.SwinHeads;

        _timeEmbed0 = nn.Linear(mc, timeEmbedDim);
        _timeEmbed2 = nn.Linear(timeEmbedDim, timeEmbedDim);
        register_module("time_embed", new ModuleSlots("time_embed", ("0", _timeEmbed0), ("2", _timeEmbed2)));

        int inChannels = o.InChannels;
        if (o.CodeBase == UNetCodeBase.ResShift)
        {
            int baseChn;
            if (o.CondLq && o.LqSize == o.ImageSize)
            {
                _featureExtractor = null;   // nn.Identity: no weights
                baseChn = o.CondMask ? 4 : 3;
            }
            else
            {
                // PORT-QUIRK(ResShift, models/unet.py): this branch is also taken when cond_lq is false; with
                // lq_size <= image_size it builds an empty Sequential and still adds 16 input channels.
                var layers = new List<nn.Module<Tensor, Tensor>>();
                int featureChn = o.CondMask ? 4 : 3;
                baseChn = 16;
                int n = (int)(Math.Log((double)o.LqSize / o.ImageSize) / Math.Log(2));
                for (int i = 0; i < n; i++)
                {
                    layers.Add(nn.Conv2d(featureChn, baseChn, 3, stride: 1, padding: 1));
                    layers.Add(nn.SiLU());
                    layers.Add(new UNetDownsample(baseChn, true, baseChn * 2));
                    baseChn *= 2;
                    featureChn = baseChn;
                }
                _featureExtractor = nn.Sequential(layers.ToArray());
                register_module("feature_extractor", _featureExtractor);
            }
            inChannels += baseChn;
        }
        InputConvChannels = inChannels;

        int ch = o.ChannelMult[0] * mc;
        int inputCh = ch;
        _inputBlocks.Add(new TimestepEmbedSequential(nn.Conv2d(inChannels, ch, 3, padding: 1)));
        var inputBlockChans = new Stack<int>();
        inputBlockChans.Push(ch);
        int ds = o.ImageSize;
        SwinBasicLayer Swin(int channels, int res) => new(channels, o.SwinEmbedDim, heads, o.WindowSize, o.SwinDepth, res, 1,
                                                          o.MlpRatio, qkvBias: true, qkScale: null, drop: o.Dropout, patchNorm: o.PatchNorm);
        for (int level = 0; level < o.ChannelMult.Count; level++)
        {
            int mult = o.ChannelMult[level];
            for (int jj = 0; jj < o.NumResBlocks[level]; jj++)
            {
                var layers = new List<nn.Module> { new UNetResBlock(ch, timeEmbedDim, o.Dropout, mult * mc, useScaleShiftNorm: o.UseScaleShiftNorm) };
                ch = mult * mc;
                if (o.AttentionResolutions.Contains(ds) && jj == 0) layers.Add(Swin(ch, ds));
                _inputBlocks.Add(new TimestepEmbedSequential([.. layers]));
                inputBlockChans.Push(ch);
            }
            if (level != o.ChannelMult.Count - 1)
            {
                int outCh = ch;
                _inputBlocks.Add(new TimestepEmbedSequential(o.ResblockUpdown
                    ? new UNetResBlock(ch, timeEmbedDim, o.Dropout, outCh, useScaleShiftNorm: o.UseScaleShiftNorm, down: true)
                    : new UNetDownsample(ch, o.ConvResample, outCh)));
                ch = outCh;
                inputBlockChans.Push(ch);
                ds /= 2;
            }
        }

        _middleBlock = new TimestepEmbedSequential(
            new UNetResBlock(ch, timeEmbedDim, o.Dropout, useScaleShiftNorm: o.UseScaleShiftNorm),
            Swin(ch, ds),
            new UNetResBlock(ch, timeEmbedDim, o.Dropout, useScaleShiftNorm: o.UseScaleShiftNorm));

        for (int level = o.ChannelMult.Count - 1; level >= 0; level--)
        {
            int mult = o.ChannelMult[level];
            for (int i = 0; i < o.NumResBlocks[level] + 1; i++)
            {
                int ich = inputBlockChans.Pop();
                var layers = new List<nn.Module> { new UNetResBlock(ch + ich, timeEmbedDim, o.Dropout, mc * mult, useScaleShiftNorm: o.UseScaleShiftNorm) };
                ch = mc * mult;
                if (o.AttentionResolutions.Contains(ds) && i == 0) layers.Add(Swin(ch, ds));
                if (level != 0 && i == o.NumResBlocks[level])
                {
                    int outCh = ch;
                    layers.Add(o.ResblockUpdown
                        ? new UNetResBlock(ch, timeEmbedDim, o.Dropout, outCh, useScaleShiftNorm: o.UseScaleShiftNorm, up: true)
                        : new UNetUpsample(ch, o.ConvResample, outCh));
                    ds *= 2;
                }
                _outputBlocks.Add(new TimestepEmbedSequential([.. layers]));
            }
        }

        _outNorm = new GroupNorm32(ch);
        _outConv = nn.Conv2d(inputCh, o.OutChannels, 3, padding: 1);

        register_module("input_blocks", nn.ModuleList<TimestepEmbedSequential>([.. _inputBlocks]));
        register_module("middle_block", _middleBlock);
        register_module("output_blocks", nn.ModuleList<TimestepEmbedSequential>([.. _outputBlocks]));
        register_module("out", new ModuleSlots("out", ("0", _outNorm), ("2", _outConv)));
    }

    /// <summary>Children are registered explicitly under their PyTorch names; no reflection over fields.</summary>
    protected override void RegisterComponents() { }

    /// <summary>The dtype of the network's weights (float32 unless converted for reduced-precision inference).</summary>
    public ScalarType ParameterType => _timeEmbed0.weight!.dtype;

    /// <summary>
    /// Predicts x0 (START_X) for a batch.
    /// </summary>
    /// <param name="x">(B, C_latent, H, W) float32 model input (already divided by the schedule's input scale by the caller).
    /// H and W must be multiples of image_size / 2^(levels−1) times the clamped window (multiples of 32 for the reduced fixture model, 64 officially).</param>
    /// <param name="timesteps">(B) timestep indices (int64, or float); embedded with the [cos, sin] sinusoid.</param>
    /// <param name="lq">(B, 3, H', W') LQ conditioning in [−1, 1] (ResShift: same size as x; SinSR: resized if not), or null when cond_lq is off.</param>
    /// <param name="mask">(B, 1, H, W) mask concatenated to lq (ResShift with cond_mask only).</param>
    /// <returns>(B, out_channels, H, W) float32 prediction.</returns>
    public Tensor Forward(Tensor x, Tensor timesteps, Tensor? lq = null, Tensor? mask = null)
    {
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(timesteps);
        if (x.dim() != 4) throw new ArgumentException($"x must be (B, C, H, W); got shape [{string.Join(",", x.shape)}].", nameof(x));
        if (timesteps.dim() != 1 || timesteps.shape[0] != x.shape[0])
            throw new ArgumentException($"timesteps must be 1-D with one entry per batch item ({x.shape[0]}); got shape [{string.Join(",", timesteps.shape)}].", nameof(timesteps));

        using var scope = NewDisposeScope();
        // As the reference: timestep_embedding(...).type(self.dtype) (float32 embedding cast to the weights' dtype).
        var emb = _timeEmbed2.call(nn.functional.silu(_timeEmbed0.call(TimestepEmbedding.Sinusoidal(timesteps, Options.ModelChannels).to_type(_timeEmbed0.weight!.dtype))));

        var h = x;
        if (lq is not null)
        {
            if (!Options.CondLq) throw new ArgumentException("lq was given but the model was built with cond_lq=false.", nameof(lq));
            if (lq.dim() != 4 || lq.shape[0] != x.shape[0])
                throw new ArgumentException($"lq must be (B, C, H, W) with B = {x.shape[0]}; got shape [{string.Join(",", lq.shape)}].", nameof(lq));
            var cond = lq;
            if (Options.CodeBase == UNetCodeBase.ResShift)
            {
                if (mask is not null)
                {
                    if (!Options.CondMask) throw new ArgumentException("mask was given but the model was built with cond_mask=false.", nameof(mask));
                    cond = cat([cond, mask], 1);
                }
                if (_featureExtractor is not null) cond = _featureExtractor.call(cond);
            }
            else
            {
                if (mask is not null) throw new ArgumentException("The SinSR code base takes no mask.", nameof(mask));
                // PORT-QUIRK(SinSR, models/unet.py): an LQ of another size is pixel-unshuffled by 2 when taller than x, else
                // nearest-upsampled ×4, whatever the actual ratio.
                if (cond.shape[2] != x.shape[2] || cond.shape[3] != x.shape[3])
                    cond = cond.shape[2] > x.shape[2]
                        ? nn.functional.pixel_unshuffle(cond, 2)
                        : nn.functional.interpolate(cond, scale_factor: [4.0, 4.0], mode: InterpolationMode.Nearest);
            }
            if (cond.shape[2] != x.shape[2] || cond.shape[3] != x.shape[3])
                throw new ArgumentException($"lq (after conditioning) is {cond.shape[2]}x{cond.shape[3]} but x is {x.shape[2]}x{x.shape[3]}; they must match.", nameof(lq));
            h = cat([x, cond], 1);
        }
        else if (mask is not null) throw new ArgumentException("mask needs lq.", nameof(mask));
        if (h.shape[1] != InputConvChannels)
            throw new ArgumentException($"The first conv expects {InputConvChannels} channels (x + conditioning); got {h.shape[1]}.", nameof(x));

        var hs = new Stack<Tensor>();
        foreach (var block in _inputBlocks)
        {
            h = block.call(h, emb);
            hs.Push(h);
        }
        h = _middleBlock.call(h, emb);
        foreach (var block in _outputBlocks)
            h = block.call(cat([h, hs.Pop()], 1), emb);
        var output = PaddedOutputConv.Call(_outConv, nn.functional.silu(_outNorm.call(h)));
        return output.MoveToOuterDisposeScope();
    }

    /// <summary>Creates the network from constructor kwargs (see <see cref="UNetModelSwinOptions.FromDictionary"/>).</summary>
    public static UNetModelSwin FromKwargs(IReadOnlyDictionary<string, object?> kwargs, UNetCodeBase? codeBase = null) =>
        new(UNetModelSwinOptions.FromDictionary(kwargs, codeBase));
}
