// Port of BasicLayer from zsyOAOA/ResShift models/swin_transformer.py (commit 3ce1d81e8402fd50083809ae288a3977f6921bdd).
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace HfDiff.Torch.Archs.ResShift;

/// <summary>
/// One Swin stage on NCHW maps: <c>patch_embed</c> (1×1 conv in→embed), <c>blocks</c> (alternating shift 0 / window/2),
/// <c>patch_unembed</c> (1×1 conv embed→in). No residual around the stage.
/// </summary>
public sealed class SwinBasicLayer : nn.Module<Tensor, Tensor>
{
    readonly PatchEmbed patch_embed;
    readonly PatchUnEmbed patch_unembed;
    readonly ModuleList<SwinTransformerBlock> blocks;

    public IReadOnlyList<SwinTransformerBlock> Blocks => [.. blocks];

    public SwinBasicLayer(int inChans, int embedDim, int numHeads, int windowSize, int depth = 2, int imgSize = 224, int patchSize = 4,
                          double mlpRatio = 4, bool qkvBias = true, double? qkScale = null, double drop = 0, bool patchNorm = true)
        : base("BasicLayer")
    {
        patch_embed = new PatchEmbed(inChans, embedDim, patchSize, patchNorm);
        var res = (imgSize / patchSize, imgSize / patchSize);
        patch_unembed = new PatchUnEmbed(inChans, embedDim, patchNorm);
        blocks = nn.ModuleList(Enumerable.Range(0, depth)
            .Select(i => new SwinTransformerBlock(embedDim, res, numHeads, windowSize, i % 2 == 0 ? 0 : windowSize / 2, mlpRatio, qkvBias, qkScale, drop))
            .ToArray());
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        var h = patch_embed.call(x);
        foreach (var blk in blocks) h = blk.call(h);
        return patch_unembed.call(h).MoveToOuterDisposeScope();
    }
}
