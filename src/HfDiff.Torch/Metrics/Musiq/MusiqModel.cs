// Port of MUSIQ from chaofengc/IQA-PyTorch pyiqa/archs/musiq_arch.py at 01ae427f9afd66842031d3a7cb694dcad5b5cbb8
// (after google-research/google-research musiq). Paper: Ke et al., "MUSIQ: Multi-scale Image Quality Transformer", ICCV 2021.
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace HfDiff.Torch.Metrics.Musiq;

/// <summary>Intermediates of one MUSIQ forward pass (B = batch).</summary>
/// <param name="Embedding">(B, seq, hidden): patch tokens after the stem and <c>embedding</c> (before position/scale embeddings).</param>
/// <param name="EncoderCls">(B, hidden): CLS token after the final LayerNorm.</param>
/// <param name="Head">(B, num_class): head output (softmax distribution when num_class > 1).</param>
/// <param name="Score">(B): mean opinion score (head value for num_class 1, Σ p_i·i otherwise).</param>
public sealed record MusiqTrace(Tensor Embedding, Tensor EncoderCls, Tensor Head, Tensor Score) : IDisposable
{
    public void Dispose() { Embedding.Dispose(); EncoderCls.Dispose(); Head.Dispose(); Score.Dispose(); }
}

/// <summary>
/// The MUSIQ network with pyiqa's parameter names (<c>conv_root</c>, <c>gn_root</c>, <c>block1</c>, <c>embedding</c>,
/// <c>transformer_encoder.*</c>, <c>head</c>). Input: patch rows from <see cref="MusiqPatches"/>.
/// </summary>
public sealed class MusiqModel : nn.Module<Tensor, Tensor>
{
    const int ResnetTokenDim = 64;

#pragma warning disable IDE1006 // PyTorch attribute names
    readonly StdConv2d conv_root;
    readonly GroupNorm gn_root;
    readonly MusiqBottleneck block1;
    readonly Linear embedding;
    readonly MusiqEncoder transformer_encoder;
    readonly nn.Module<Tensor, Tensor> head;
#pragma warning restore IDE1006

    public MusiqOptions Options { get; }

    public MusiqModel(MusiqOptions? options = null) : base("MUSIQ")
    {
        Options = options ?? new MusiqOptions();
        Options.Validate();
        int tokenPatch = Options.PatchSize / 4;
        conv_root = new StdConv2d(3, ResnetTokenDim, 7, 2);
        // PORT-QUIRK(pyiqa, musiq_arch.py): root GroupNorm eps 1e-6 (bottleneck GNs use 1e-4).
        gn_root = MusiqGroupNorm.Create(32, ResnetTokenDim, 1e-6);
        block1 = new MusiqBottleneck(ResnetTokenDim, ResnetTokenDim * 4);
        embedding = nn.Linear(ResnetTokenDim * 4 * tokenPatch * tokenPatch, Options.HiddenSize);
        transformer_encoder = new MusiqEncoder(Options);
        head = Options.NumClass > 1
            ? nn.Sequential(("0", nn.Linear(Options.HiddenSize, Options.NumClass)), ("1", nn.Softmax(-1)))
            : nn.Linear(Options.HiddenSize, Options.NumClass);
        RegisterComponents();
    }

    /// <summary>Scores (B) for patch rows (B, seq, 3·P·P+3).</summary>
    public override Tensor forward(Tensor patches)
    {
        using var trace = Trace(patches);
        return trace.Score.alias();
    }

    /// <summary>
    /// pyiqa's root_pool: TF 'SAME' zero padding, then max-pool 3/2. Run in channels-last layout (NHWC strides, NCHW
    /// shape) and returned NCHW-contiguous for block1's GroupNorms: libtorch's NCHW max-pool is slow on many tiny planes
    /// (a 512x512 image gives 449 patches x 64 planes of 17x17: ~80 ms on one thread, ~25 ms with the layout copies in
    /// channels-last). Exact: a max does not depend on the memory order.
    /// </summary>
    static Tensor RootPool(Tensor x)
    {
        using var scope = torch.NewDisposeScope();
        var channelsLast = x.permute(0, 2, 3, 1).contiguous().permute(0, 3, 1, 2);
        return F.max_pool2d(StdConv2d.TfSamePad(channelsLast, 3, 2), 3, 2).contiguous().MoveToOuterDisposeScope();
    }

    /// <summary><paramref name="stage"/>(<paramref name="x"/>), then disposes <paramref name="x"/> unless the stage returned it.</summary>
    static Tensor Consume(Tensor x, Func<Tensor, Tensor> stage)
    {
        var y = stage(x);
        if (!ReferenceEquals(y, x)) x.Dispose();
        return y;
    }

    /// <summary>The forward pass keeping its intermediates.</summary>
    public MusiqTrace Trace(Tensor patches)
    {
        ArgumentNullException.ThrowIfNull(patches);
        int p = Options.PatchSize;
        if (patches.ndim != 3 || patches.shape[2] != 3 * p * p + 3)
            throw new ArgumentException($"patches must be (B, seq, {3 * p * p + 3}); got [{string.Join(",", patches.shape)}].", nameof(patches));
        using var scope = torch.NewDisposeScope();
        using var noGrad = torch.no_grad();
        long b = patches.shape[0], seq = patches.shape[1];
        var spatial = patches[.., .., -3];
        var scale = patches[.., .., -2];
        var mask = patches[.., .., -1].to_type(ScalarType.Bool);
        var x = patches[.., .., ..^3].reshape(-1, 3, p, p);
        // The stem's activations are (seq·B, 64..256, 8..16, 8..16), ~30 MiB each for a 512x512 image: each is freed
        // as soon as the next stage has consumed it instead of living until this scope ends.
        x = Consume(x, t => conv_root.forward(t));
        x = Consume(x, t => gn_root.forward(t).relu_());
        x = Consume(x, RootPool);
        x = Consume(x, t => block1.forward(t));
        // To match TensorFlow's channel order: NHWC before flattening each patch.
        x = Consume(x, t => t.permute(0, 2, 3, 1).reshape(b, seq, -1));
        var tokens = Consume(x, t => embedding.forward(t));
        var encoded = transformer_encoder.forward(tokens, spatial, scale, mask);
        var cls = encoded[.., 0];
        var q = head.forward(cls);                                        // single crop: mean over crops is identity
        var score = Options.NumClass == 1
            ? q.reshape(b)
            : (q * torch.arange(1, Options.NumClass + 1, dtype: q.dtype, device: q.device)).sum(-1);  // dist_to_mos
        return new MusiqTrace(tokens.MoveToOuterDisposeScope(), cls.MoveToOuterDisposeScope(),
                              q.MoveToOuterDisposeScope(), score.MoveToOuterDisposeScope());
    }
}
