// Port of DINOv2's DinoVisionTransformer (inference path, torch-hub key layout).
// Source: github.com/facebookresearch/dinov2, dinov2/models/vision_transformer.py, commit b48308a394a04ccb9c4dd3a1f0a4daa1ce0579b8.
// Paper: Oquab et al., "DINOv2: Learning Robust Visual Features without Supervision", TMLR 2024;
// registers: Darcet et al., "Vision Transformers Need Registers", ICLR 2024.
using HfDiff.Torch.Weights;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace HfDiff.Torch.Archs.Dinov2;

/// <summary>
/// DINOv2 ViT (ViT-S/B/L/g, patch 14, with or without registers). Input <c>(B, InChans, H, W)</c> float, ImageNet-normalised
/// (see <see cref="Dinov2ImagePreprocessor"/>), H and W multiples of the patch size. State-dict keys are the official
/// torch-hub ones (<c>cls_token</c>, <c>pos_embed</c>, <c>register_tokens</c>, <c>mask_token</c>, <c>patch_embed.proj.*</c>,
/// <c>blocks.N.*</c>, <c>norm.*</c>); Hugging Face <c>Dinov2Model</c> checkpoints load through <see cref="Dinov2HfKeyMapping"/>.
/// Drop path, xFormers, nested-tensor lists and <c>block_chunks &gt; 0</c> (training-time FSDP layout) are not ported.
/// </summary>
public sealed class DinoVisionTransformer : nn.Module<Tensor, Tensor>
{
#pragma warning disable IDE1006 // PyTorch attribute names; declaration order = official state_dict order
    readonly Parameter cls_token;
    readonly Parameter pos_embed;
    readonly Parameter? register_tokens;
    readonly Parameter mask_token;
    readonly Dinov2PatchEmbed patch_embed;
    readonly ModuleList<Dinov2Block> blocks;
    readonly LayerNorm norm;
#pragma warning restore IDE1006

    public DinoVisionTransformerOptions Options { get; }
    public int NumRegisterTokens => Options.NumRegisterTokens;
    public int PatchSize => Options.PatchSize;
    public int EmbedDim => Options.EmbedDim;
    public int Depth => Options.Depth;
    /// <summary>The dtype of the weights (float32 unless converted, e.g. to bfloat16 for reduced-precision training terms).</summary>
    public ScalarType ParameterType => cls_token.dtype;

    /// <param name="options">Architecture; defaults to ViT-B/14 as on torch hub.</param>
    /// <param name="device">Where to create the parameters (e.g. <c>meta</c> to inspect shapes without memory).</param>
    public DinoVisionTransformer(DinoVisionTransformerOptions? options = null, Device? device = null) : base(nameof(DinoVisionTransformer))
    {
        Options = options ?? new DinoVisionTransformerOptions();
        Options.Validate();
        int d = Options.EmbedDim, grid = Options.PositionGridSize;
        // Values are placeholders (zeros / LayerNorm ones, Linear default init): the model is meant to be loaded from a checkpoint.
        cls_token = new Parameter(torch.zeros(1, 1, d, device: device));
        pos_embed = new Parameter(torch.zeros(1, (long)grid * grid + 1, d, device: device));
        register_tokens = Options.NumRegisterTokens > 0 ? new Parameter(torch.zeros(1, Options.NumRegisterTokens, d, device: device)) : null;
        mask_token = new Parameter(torch.zeros(1, d, device: device));
        patch_embed = new Dinov2PatchEmbed(Options.PatchSize, Options.InChans, d, device);
        blocks = new ModuleList<Dinov2Block>(Enumerable.Range(0, Options.Depth).Select(_ => new Dinov2Block(Options, device)).ToArray());
        norm = nn.LayerNorm(d, Options.LayerNormEps, device: device);
        RegisterComponents();
    }

    /// <summary>
    /// Position embedding for an image of <paramref name="height"/>×<paramref name="width"/> pixels: <c>(1, 1 + h·w, D)</c>
    /// (class entry first), h = H / p, w = W / p. The learned 37×37 grid is resized by bicubic interpolation exactly as
    /// the reference: with <c>InterpolateOffset &gt; 0</c> via <c>scale_factor = (h + offset)/37, (w + offset)/37</c> (the
    /// sampling grid uses that scale, not 37/h), otherwise via <c>size = (h, w)</c>; antialiased when
    /// <c>InterpolateAntialias</c> (PIL-style cubic, a = −0.5). Returned unchanged when h·w = 37² and H = W.
    /// </summary>
    public Tensor InterpolatePositionEmbedding(long height, long width)
    {
        using var scope = torch.NewDisposeScope();
        long n = pos_embed.shape[1] - 1;
        long h0 = height / PatchSize, w0 = width / PatchSize;
        // PORT-QUIRK(dinov2, vision_transformer.py): the skip test compares the patch count with N and the image sides
        // with each other (H == W), not the grid with 37×37; identical for inputs that are multiples of the patch size.
        if (h0 * w0 == n && height == width) return pos_embed.alias().MoveToOuterDisposeScope();
        var pos = pos_embed.to_type(ScalarType.Float32);
        var clsPos = pos[.., 0];
        var patchPos = pos[.., 1..];
        long m = (long)Math.Sqrt(n);
        if (m * m != n) throw new InvalidOperationException($"pos_embed has {n} patch entries, not a square grid.");
        var grid = patchPos.reshape(1, m, m, EmbedDim).permute(0, 3, 1, 2);
        Tensor resized;
        if (Options.InterpolateOffset != 0)
        {
            // PORT-QUIRK(dinov2, vision_transformer.py): historical +0.1 offset; output size floor(37·s) = (h0, w0) but
            // the kernel samples with the given scale factor (recompute_scale_factor off).
            double sx = (h0 + Options.InterpolateOffset) / m, sy = (w0 + Options.InterpolateOffset) / m;
            resized = nn.functional.interpolate(grid, scale_factor: [sx, sy], mode: InterpolationMode.Bicubic,
                                                align_corners: false, recompute_scale_factor: false, antialias: Options.InterpolateAntialias);
        }
        else
        {
            resized = nn.functional.interpolate(grid, size: [h0, w0], mode: InterpolationMode.Bicubic,
                                                align_corners: false, antialias: Options.InterpolateAntialias);
        }
        if (resized.shape[2] != h0 || resized.shape[3] != w0)
            throw new InvalidOperationException($"Position-embedding interpolation produced {resized.shape[2]}×{resized.shape[3]}, expected {h0}×{w0}.");
        var flat = resized.permute(0, 2, 3, 1).reshape(1, -1, EmbedDim);
        return torch.cat([clsPos.unsqueeze(0), flat], 1).to_type(pos_embed.dtype).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Tokens entering the first block: <c>[cls, registers, patches]</c> <c>(B, 1 + R + h·w, D)</c>. Masked patches
    /// (<paramref name="masks"/> bool <c>(B, h·w)</c>, true = masked) are replaced by <c>mask_token</c> before the class
    /// token is prepended and the position embedding added; registers are inserted after that and get no position embedding.
    /// </summary>
    public Tensor PrepareTokensWithMasks(Tensor x, Tensor? masks = null)
    {
        CheckInput(x);
        using var scope = torch.NewDisposeScope();
        long b = x.shape[0], height = x.shape[2], width = x.shape[3];
        var tokens = patch_embed.forward(x);
        if (masks is not null)
        {
            if (masks.dtype != ScalarType.Bool || masks.dim() != 2 || masks.shape[0] != b || masks.shape[1] != tokens.shape[1])
                throw new ArgumentException($"masks must be bool (B, h·w) = ({b}, {tokens.shape[1]}); got {masks.dtype} [{string.Join(", ", masks.shape)}].", nameof(masks));
            tokens = torch.where(masks.unsqueeze(-1), mask_token.to_type(tokens.dtype).unsqueeze(0), tokens);
        }
        tokens = torch.cat([cls_token.expand(b, -1, -1), tokens], 1);
        tokens = tokens + InterpolatePositionEmbedding(height, width);
        if (register_tokens is not null)
            tokens = torch.cat([tokens[.., ..1], register_tokens.expand(b, -1, -1), tokens[.., 1..]], 1);
        return tokens.MoveToOuterDisposeScope();
    }

    /// <summary>Reference <c>forward_features</c>: final-norm class / register / patch tokens and the pre-norm tokens.</summary>
    public Dinov2Features ForwardFeatures(Tensor x, Tensor? masks = null)
    {
        using var scope = torch.NewDisposeScope();
        var h = PrepareTokensWithMasks(x, masks);
        foreach (var block in blocks) h = block.forward(h);
        var xNorm = norm.forward(h);
        int r = NumRegisterTokens;
        return new Dinov2Features(
            xNorm[.., 0].MoveToOuterDisposeScope(),
            xNorm[.., 1..(r + 1)].MoveToOuterDisposeScope(),
            xNorm[.., (r + 1)..].MoveToOuterDisposeScope(),
            h.MoveToOuterDisposeScope(),
            masks?.alias().MoveToOuterDisposeScope());
    }

    /// <summary>Reference <c>forward</c> in eval mode: <c>head(x_norm_clstoken)</c> with head = Identity → <c>(B, D)</c>.</summary>
    public override Tensor forward(Tensor x)
    {
        using var f = ForwardFeatures(x);
        return f.XNormClsToken.alias();
    }

    /// <summary>Output of every block (pre-norm, all tokens incl. class and registers): <c>Depth</c> tensors <c>(B, 1 + R + h·w, D)</c>.</summary>
    public Tensor[] GetBlockOutputs(Tensor x, Tensor? masks = null)
    {
        using var scope = torch.NewDisposeScope();
        var h = PrepareTokensWithMasks(x, masks);
        var outputs = new Tensor[Depth];
        for (int i = 0; i < Depth; i++) { h = blocks[i].forward(h); outputs[i] = h; }
        foreach (var o in outputs) o.MoveToOuterDisposeScope();
        return outputs;
    }

    /// <summary>Reference <c>get_intermediate_layers(x, n: int, …)</c>: the last <paramref name="n"/> blocks.</summary>
    public Dinov2IntermediateLayer[] GetIntermediateLayers(Tensor x, int n = 1, bool reshape = false, bool norm = true)
    {
        if (n < 1 || n > Depth) throw new ArgumentOutOfRangeException(nameof(n), n, $"n must be in [1, {Depth}].");
        return GetIntermediateLayers(x, Enumerable.Range(Depth - n, n).ToArray(), reshape, norm);
    }

    /// <summary>
    /// Reference <c>get_intermediate_layers(x, n: list, …)</c>: outputs of the given blocks (0-based, in block order),
    /// optionally final-normed, split into class token and patch tokens (registers dropped), patch tokens optionally
    /// reshaped to <c>(B, D, H/p, W/p)</c>.
    /// </summary>
    public Dinov2IntermediateLayer[] GetIntermediateLayers(Tensor x, IReadOnlyList<int> blockIndices, bool reshape = false, bool norm = true)
    {
        ArgumentNullException.ThrowIfNull(blockIndices);
        foreach (var i in blockIndices)
            if (i < 0 || i >= Depth) throw new ArgumentOutOfRangeException(nameof(blockIndices), i, $"block index must be in [0, {Depth - 1}].");
        using var scope = torch.NewDisposeScope();
        var h = PrepareTokensWithMasks(x);
        var result = new List<Dinov2IntermediateLayer>();
        long b = x.shape[0], gh = x.shape[2] / PatchSize, gw = x.shape[3] / PatchSize;
        for (int i = 0; i < Depth; i++)
        {
            h = blocks[i].forward(h);
            if (!blockIndices.Contains(i)) continue;
            var o = norm ? this.norm.forward(h) : h;
            var cls = o[.., 0];
            var patches = o[.., (1 + NumRegisterTokens)..];
            if (reshape) patches = patches.reshape(b, gh, gw, -1).permute(0, 3, 1, 2).contiguous();
            result.Add(new Dinov2IntermediateLayer(i, patches.MoveToOuterDisposeScope(), cls.MoveToOuterDisposeScope()));
        }
        return result.ToArray();
    }

    /// <summary>
    /// Loads official torch-hub weights (<c>dinov2_*_pretrain.pth</c>) or a Hugging Face <c>Dinov2Model</c> /
    /// <c>Dinov2WithRegistersModel</c> checkpoint (<c>model.safetensors</c>; keys mapped by <see cref="Dinov2HfKeyMapping"/>).
    /// </summary>
    public void LoadWeights(string path, bool strict = true)
    {
        var sd = Checkpoint.LoadStateDict(path);
        var mapped = Dinov2HfKeyMapping.ToOfficialIfHuggingFace(sd);
        try { Checkpoint.LoadInto(this, mapped, strict, $"'{path}'"); }
        finally
        {
            foreach (var t in sd.Values) t.Dispose();
            if (!ReferenceEquals(mapped, sd)) foreach (var t in mapped.Values) t.Dispose();
        }
    }

    /// <summary>Loads a state dict in either layout (see <see cref="LoadWeights(string, bool)"/>); tensors stay the caller's.</summary>
    public void LoadStateDict(IReadOnlyDictionary<string, Tensor> stateDict, bool strict = true, string source = "state dict")
    {
        var mapped = Dinov2HfKeyMapping.ToOfficialIfHuggingFace(stateDict);
        try { Checkpoint.LoadInto(this, mapped, strict, source); }
        finally { if (!ReferenceEquals(mapped, stateDict)) foreach (var t in mapped.Values) t.Dispose(); }
    }

    void CheckInput(Tensor x)
    {
        if (x.dim() != 4 || x.shape[1] != Options.InChans)
            throw new ArgumentException($"{nameof(DinoVisionTransformer)} expects (B, {Options.InChans}, H, W); got [{string.Join(", ", x.shape)}].", nameof(x));
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            cls_token.Dispose(); pos_embed.Dispose(); register_tokens?.Dispose(); mask_token.Dispose();
            patch_embed.Dispose(); blocks.Dispose(); norm.Dispose();
        }
        base.Dispose(disposing);
    }
}
