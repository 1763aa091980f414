using TorchSharp;

namespace HfDiff.Torch.Training;

/// <summary>Freezing of the networks a trainer uses but does not train (teacher UNet, VQ autoencoder).</summary>
static class FrozenModules
{
    /// <summary><c>requires_grad_(False)</c> on every parameter and <c>eval()</c>, as the official trainers do.</summary>
    public static void Freeze(torch.nn.Module module)
    {
        foreach (var p in module.parameters()) p.requires_grad = false;
        module.eval();
    }
}
