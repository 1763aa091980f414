using static TorchSharp.torch;

namespace HfDiff.Torch.Archs.Dinov2;

/// <summary>
/// One entry of <see cref="DinoVisionTransformer.GetIntermediateLayers(Tensor, int, bool, bool)"/>: patch tokens
/// <c>(B, h·w, D)</c> or, reshaped, <c>(B, D, h, w)</c>; and the class token <c>(B, D)</c>. Dispose to free both.
/// </summary>
public sealed record Dinov2IntermediateLayer(int BlockIndex, Tensor PatchTokens, Tensor ClassToken) : IDisposable
{
    public void Dispose() { PatchTokens.Dispose(); ClassToken.Dispose(); }
}
