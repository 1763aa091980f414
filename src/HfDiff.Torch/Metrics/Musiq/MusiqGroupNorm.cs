using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace HfDiff.Torch.Metrics.Musiq;

internal static class MusiqGroupNorm
{
    /// <summary>
    /// <c>nn.GroupNorm(groups, channels, eps)</c> with PyTorch's initial affine (weight 1, bias 0): TorchSharp 0.107
    /// leaves GroupNorm's weight/bias uninitialised (garbage, sometimes NaN), which matters for models built without
    /// a checkpoint.
    /// </summary>
    public static GroupNorm Create(int groups, int channels, double eps)
    {
        var gn = nn.GroupNorm(groups, channels, eps);
        using var noGrad = torch.no_grad();
        gn.weight!.fill_(1);
        gn.bias!.zero_();
        return gn;
    }
}
