// Port of TimestepBlock / TimestepEmbedSequential from zsyOAOA/ResShift models/unet.py
// (commit 3ce1d81e8402fd50083809ae288a3977f6921bdd). ResShift: Yue et al., NeurIPS 2023.
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace HfDiff.Torch.Archs.ResShift;

/// <summary>A layer whose forward takes the timestep embedding as a second input.</summary>
public abstract class TimestepBlock : nn.Module<Tensor, Tensor, Tensor>
{
    protected TimestepBlock(string name) : base(name) { }
}

/// <summary>
/// nn.Sequential that passes the timestep embedding to the <see cref="TimestepBlock"/> children. Children are
/// registered as <c>0</c>, <c>1</c>, … so keys read <c>input_blocks.1.0.in_layers.0.weight</c>.
/// </summary>
public sealed class TimestepEmbedSequential : nn.Module<Tensor, Tensor, Tensor>
{
    readonly List<nn.Module> _layers;

    public TimestepEmbedSequential(params nn.Module[] layers) : base(nameof(TimestepEmbedSequential))
    {
        foreach (var l in layers)
            if (l is not TimestepBlock && l is not nn.Module<Tensor, Tensor>)
                throw new ArgumentException($"Layer {l.GetName()} is neither a TimestepBlock nor a Module<Tensor, Tensor>.", nameof(layers));
        _layers = [.. layers];
        for (int i = 0; i < _layers.Count; i++) register_module(i.ToString(System.Globalization.CultureInfo.InvariantCulture), _layers[i]);
    }

    /// <summary>Children are registered explicitly under their PyTorch names; no reflection over fields.</summary>
    protected override void RegisterComponents() { }

    public IReadOnlyList<nn.Module> Layers => _layers;

    public override Tensor forward(Tensor x, Tensor emb)
    {
        using var scope = NewDisposeScope();
        var h = x;
        foreach (var layer in _layers)
            h = layer is TimestepBlock tb ? tb.call(h, emb) : PaddedOutputConv.CallLayer((nn.Module<Tensor, Tensor>)layer, h);
        return (ReferenceEquals(h, x) ? h.alias() : h).MoveToOuterDisposeScope();
    }
}
