// Port of VQModelTorch from zsyOAOA/ResShift ldm/models/autoencoder.py (commit 3ce1d81e8402fd50083809ae288a3977f6921bdd).
// VQGAN: Esser et al., "Taming Transformers for High-Resolution Image Synthesis", CVPR 2021.
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace HfDiff.Torch.Archs.ResShift;

/// <summary>
/// The VQGAN f4 first stage of ResShift / SinSR / HF-Diff. Keys: <c>encoder.*</c>, <c>decoder.*</c>,
/// <c>quantize.embedding.weight</c>, <c>quant_conv.*</c>, <c>post_quant_conv.*</c>.
/// The diffusion works on the pre-quantization latent (<see cref="Encode"/>); <see cref="Decode"/> quantizes it again.
/// </summary>
public sealed class VQModelTorch : nn.Module
{
    readonly LdmEncoder encoder;
    readonly LdmDecoder decoder;
    readonly VectorQuantizer quantize;
    readonly Conv2d quant_conv;
    readonly Conv2d post_quant_conv;

    public VQModelOptions Options { get; }

    /// <summary>Spatial down-sampling factor 2^(levels−1) (4 for the official f4).</summary>
    public int DownFactor => 1 << (Options.DdConfig.ChMult.Count - 1);

    public VQModelTorch(VQModelOptions options) : base(nameof(VQModelTorch))
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        Options = options;
        encoder = new LdmEncoder(options.DdConfig);
        decoder = new LdmDecoder(options.DdConfig);
        quantize = new VectorQuantizer(options.NEmbed, options.EmbedDim, beta: 0.25);
        quant_conv = nn.Conv2d(options.DdConfig.ZChannels, options.EmbedDim, 1);
        post_quant_conv = nn.Conv2d(options.EmbedDim, options.DdConfig.ZChannels, 1);
        RegisterComponents();
    }

    public VectorQuantizer Quantizer => quantize;

    /// <summary>The decoder's last layer weight <c>decoder.conv_out.weight</c> (taming's <c>get_last_layer</c>).</summary>
    public Parameter LastLayerWeight => decoder.ConvOutWeight;

    /// <summary>(B, 3, H, W) image in [−1, 1] → (B, embed_dim, H/f, W/f) pre-quantization latent quant_conv(encoder(x)).</summary>
    public Tensor Encode(Tensor x)
    {
        ArgumentNullException.ThrowIfNull(x);
        int inCh = Options.DdConfig.InChannels;
        if (x.dim() != 4 || x.shape[1] != inCh)
            throw new ArgumentException($"Encode expects (B, {inCh}, H, W); got shape [{string.Join(",", x.shape)}].", nameof(x));
        if (x.shape[2] % DownFactor != 0 || x.shape[3] % DownFactor != 0)
            throw new ArgumentException($"Encode needs H and W divisible by {DownFactor}; got {x.shape[2]}x{x.shape[3]}.", nameof(x));
        using var scope = NewDisposeScope();
        return PaddedOutputConv.Call(quant_conv, encoder.call(x)).MoveToOuterDisposeScope();
    }

    /// <summary>Nearest-codebook quantization of a latent (B, embed_dim, h, w) → quant, (B, h, w) indices, emb_loss.</summary>
    public QuantizeResult Quantize(Tensor h)
    {
        ArgumentNullException.ThrowIfNull(h);
        return quantize.Quantize(h);
    }

    /// <summary>
    /// (B, embed_dim, h, w) latent → (B, out_ch, h·f, w·f) image (≈[−1, 1], not clamped). Quantizes first unless
    /// <paramref name="forceNotQuantize"/> (reference: <c>decode(h, force_not_quantize=False)</c>).
    /// </summary>
    public Tensor Decode(Tensor h, bool forceNotQuantize = false)
    {
        ArgumentNullException.ThrowIfNull(h);
        if (h.dim() != 4 || h.shape[1] != Options.EmbedDim)
            throw new ArgumentException($"Decode expects (B, {Options.EmbedDim}, h, w); got shape [{string.Join(",", h.shape)}].", nameof(h));
        using var scope = NewDisposeScope();
        return decoder.call(PaddedOutputConv.Call(post_quant_conv, DecoderInput(h, forceNotQuantize))).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Converts the convolutions (weights and activations) to <paramref name="type"/> (bf16/fp16 for reduced-precision
    /// inference or training terms) while the quantizer stays float32: the nearest-code search in reduced precision can flip
    /// a code, which is a visible error. <see cref="Decode"/> then enters the decoder in its dtype.
    /// </summary>
    public void ToComputeType(ScalarType type)
    {
        this.to(type);
        quantize.to(ScalarType.Float32);
    }

    /// <summary>What Decode feeds post_quant_conv: the quantized latent (unless <paramref name="forceNotQuantize"/>) in the decoder's dtype.</summary>
    Tensor DecoderInput(Tensor h, bool forceNotQuantize)
    {
        var quant = forceNotQuantize ? h : quantize.Quantize(h).Quant;
        // A float32 codebook under a bf16/fp16 decoder (reduced-precision inference): enter the decoder in its dtype.
        var decoderType = post_quant_conv.weight!.dtype;
        return quant.dtype == decoderType ? quant : quant.to_type(decoderType);
    }

    /// <summary>
    /// <see cref="Decode"/> keeping the decoder's stage inputs (<see cref="VQDecodeTrace"/>): the image now, and the input
    /// gradient later without decoding again.
    /// </summary>
    public VQDecodeTrace DecodeTraced(Tensor h, bool forceNotQuantize = false)
    {
        ArgumentNullException.ThrowIfNull(h);
        if (h.dim() != 4 || h.shape[1] != Options.EmbedDim)
            throw new ArgumentException($"DecodeTraced expects (B, {Options.EmbedDim}, h, w); got shape [{string.Join(",", h.shape)}].", nameof(h));
        using var scope = NewDisposeScope();
        Tensor quant;
        using (no_grad()) quant = DecoderInput(h.detach(), forceNotQuantize);
        return new VQDecodeTrace(quant, x => PaddedOutputConv.Call(post_quant_conv, x), decoder.Trace, h.dtype);
    }

    /// <summary>
    /// ∂⟨Decode(h, forceNotQuantize), <paramref name="upstream"/>⟩/∂h, back-propagated stage by stage through the decoder
    /// (<see cref="DecodeTraced"/>) so that its activations are never all alive at once. The quantizer passes
    /// the gradient straight through (z + (z_q − z).detach(), as in <see cref="Decode"/>).
    /// </summary>
    public Tensor DecodeInputGradient(Tensor h, Tensor upstream, bool forceNotQuantize = false)
    {
        ArgumentNullException.ThrowIfNull(h);
        ArgumentNullException.ThrowIfNull(upstream);
        using var trace = DecodeTraced(h, forceNotQuantize);
        return trace.InputGradient(upstream);
    }

    /// <summary>decode_code: (B, h, w) codebook indices → image.</summary>
    public Tensor DecodeCode(Tensor indices)
    {
        using var scope = NewDisposeScope();
        return Decode(quantize.CodebookEntry(indices), forceNotQuantize: true).MoveToOuterDisposeScope();
    }

    /// <summary>forward: Decode(Encode(x), forceNotQuantize).</summary>
    public Tensor Forward(Tensor x, bool forceNotQuantize = false)
    {
        using var scope = NewDisposeScope();
        return Decode(Encode(x), forceNotQuantize).MoveToOuterDisposeScope();
    }

    /// <summary>Creates the model from VQModelTorch kwargs (see <see cref="VQModelOptions.FromDictionary"/>).</summary>
    public static VQModelTorch FromKwargs(IReadOnlyDictionary<string, object?> kwargs) => new(VQModelOptions.FromDictionary(kwargs));
}
