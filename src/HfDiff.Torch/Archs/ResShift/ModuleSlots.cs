using TorchSharp;
using static TorchSharp.torch;
using TorchSharp.Modules;

namespace HfDiff.Torch.Archs.ResShift;

/// <summary>
/// A weight-only container that registers children under given names (e.g. the <c>0</c>/<c>2</c> slots of a PyTorch
/// nn.Sequential whose SiLU/Dropout slots have no weights), so state-dict keys match while the owner calls the
/// children directly (as ResBlock's scale-shift path needs).
/// </summary>
internal sealed class ModuleSlots : nn.Module
{
    public ModuleSlots(string name, params (string Slot, nn.Module Module)[] children) : base(name)
    {
        foreach (var (slot, module) in children) register_module(slot, module);
    }

    /// <summary>Children are registered explicitly under their PyTorch names; no reflection over fields.</summary>
    protected override void RegisterComponents() { }
}
