// Port of TransformerEncoder from chaofengc/IQA-PyTorch pyiqa/archs/musiq_arch.py at 01ae427f9afd66842031d3a7cb694dcad5b5cbb8.
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace HfDiff.Torch.Metrics.Musiq;

/// <summary>
/// MUSIQ's transformer: token + hashed spatial embedding (+ scale embedding), a prepended CLS token (mask 1),
/// <c>encoderblock_{i}</c> blocks, final LayerNorm (eps 1e-6). Returns all tokens (B, 1+N, C).
/// </summary>
public sealed class MusiqEncoder : nn.Module<Tensor, Tensor, Tensor, Tensor, Tensor>
{
#pragma warning disable IDE1006 // PyTorch attribute names
    readonly MusiqHashPositionEmbedding posembed_input;
    readonly MusiqScaleEmbedding scaleembed_input;
    readonly Parameter cls;
    readonly LayerNorm encoder_norm;
    readonly MusiqEncoderBlocks transformer;
#pragma warning restore IDE1006
    readonly bool _useScaleEmb;

    public MusiqEncoder(MusiqOptions o) : base("TransformerEncoder")
    {
        _useScaleEmb = o.UseScaleEmb;
        posembed_input = new MusiqHashPositionEmbedding(o.SpatialPosGridSize, o.HiddenSize);
        scaleembed_input = new MusiqScaleEmbedding(o.NumScales, o.HiddenSize);
        cls = new Parameter(torch.zeros(1, 1, o.HiddenSize));
        encoder_norm = nn.LayerNorm(o.HiddenSize, 1e-6);
        transformer = new MusiqEncoderBlocks(o.NumLayers, o.HiddenSize, o.MlpDim, o.NumHeads);
        RegisterComponents();
    }

    /// <param name="x">(B, N, C) patch embeddings.</param>
    /// <param name="spatialPositions">(B, N) hashed positions.</param>
    /// <param name="scalePositions">(B, N) scale ids.</param>
    /// <param name="masks">(B, N) bool, false for padding rows.</param>
    public override Tensor forward(Tensor x, Tensor spatialPositions, Tensor scalePositions, Tensor masks)
    {
        using var scope = torch.NewDisposeScope();
        long n = x.shape[0];
        x = posembed_input.forward(x, spatialPositions);
        if (_useScaleEmb) x = scaleembed_input.forward(x, scalePositions);
        x = torch.cat([cls.repeat(n, 1, 1), x], 1);
        var mask = torch.cat([torch.ones(n, 1, dtype: ScalarType.Bool, device: masks.device), masks], 1);
        x = transformer.forward(x, mask);
        return encoder_norm.forward(x).MoveToOuterDisposeScope();
    }
}
