using HfDiff.Torch.Assets;

namespace HfDiff.Torch.Archs.Dinov2;

/// <summary>Builds the torch-hub DINOv2 models from their official checkpoints in the model directory.</summary>
public static class Dinov2Hub
{
    /// <summary>The asset holding the weights of a hub entry point (<c>dinov2_vits14</c>, <c>dinov2_vitb14_reg</c>, …).</summary>
    public static ModelAsset AssetFor(string hubName)
    {
        var options = DinoVisionTransformerOptions.FromHubName(hubName); // validates the name
        var n = hubName.Trim().ToLowerInvariant();
        var arch = options.NumRegisterTokens > 0 ? n[..n.LastIndexOf("_reg", StringComparison.Ordinal)] : n;
        var file = options.NumRegisterTokens > 0 ? $"{arch}_reg{options.NumRegisterTokens}_pretrain.pth" : $"{arch}_pretrain.pth";
        return KnownAssets.All.FirstOrDefault(a => a.FileName == file)
            ?? new ModelAsset(file, $"DINOv2 {arch}", $"https://dl.fbaipublicfiles.com/dinov2/{arch}/{file}");
    }

    /// <summary>Creates the model of <paramref name="hubName"/> and loads its official weights (eval mode).</summary>
    /// <exception cref="ModelAssetMissingException">The checkpoint is not in the model directory.</exception>
    public static DinoVisionTransformer Load(string hubName, ModelDirectory? models = null)
    {
        var path = (models ?? ModelDirectory.Resolve()).Require(AssetFor(hubName));
        var net = new DinoVisionTransformer(DinoVisionTransformerOptions.FromHubName(hubName));
        try { net.LoadWeights(path); }
        catch { net.Dispose(); throw; }
        net.eval();
        return net;
    }
}
