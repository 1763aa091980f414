using TorchSharp;
using static TorchSharp.torch;

namespace HfDiff.Torch.Metrics.Musiq;

/// <summary>
/// pyiqa's <c>nn.ModuleDict</c> of <c>encoderblock_{i}</c> blocks, run in order. A plain module registering named
/// children, because TorchSharp 0.107's <c>ModuleDict&lt;T&gt;</c> fails in <c>Module.to(…)</c> (duplicate "Item" field).
/// </summary>
public sealed class MusiqEncoderBlocks : nn.Module<Tensor, Tensor, Tensor>
{
    readonly MusiqEncoderBlock[] _blocks;

    public MusiqEncoderBlocks(int count, int dim, int mlpDim, int heads) : base("ModuleDict")
    {
        _blocks = new MusiqEncoderBlock[count];
        for (int i = 0; i < count; i++)
        {
            _blocks[i] = new MusiqEncoderBlock(dim, mlpDim, heads);
            register_module($"encoderblock_{i}", _blocks[i]);
        }
    }

    public override Tensor forward(Tensor x, Tensor mask)
    {
        using var scope = torch.NewDisposeScope();
        foreach (var block in _blocks) x = block.forward(x, mask);
        return x.MoveToOuterDisposeScope();
    }
}
