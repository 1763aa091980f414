// Port of Mlp from chaofengc/IQA-PyTorch pyiqa/archs/musiq_arch.py at 01ae427f9afd66842031d3a7cb694dcad5b5cbb8.
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace HfDiff.Torch.Metrics.Musiq;

/// <summary>fc1 → exact GELU → fc2 (dropout inert at inference).</summary>
public sealed class MusiqMlp : nn.Module<Tensor, Tensor>
{
#pragma warning disable IDE1006 // PyTorch attribute names
    readonly Linear fc1, fc2;
#pragma warning restore IDE1006

    public MusiqMlp(int dim, int hidden) : base("Mlp")
    {
        fc1 = nn.Linear(dim, hidden);
        fc2 = nn.Linear(hidden, dim);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        using var scope = torch.NewDisposeScope();
        return fc2.forward(nn.functional.gelu(fc1.forward(x))).MoveToOuterDisposeScope();
    }
}
