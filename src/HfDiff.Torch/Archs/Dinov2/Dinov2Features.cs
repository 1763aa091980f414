using static TorchSharp.torch;

namespace HfDiff.Torch.Archs.Dinov2;

/// <summary>
/// Result of <see cref="DinoVisionTransformer.ForwardFeatures"/> (the reference's dict). Tokens are <c>(B, …, D)</c>;
/// <see cref="XNormRegTokens"/> is <c>(B, R, D)</c> (R = 0 without registers), <see cref="XNormPatchTokens"/> row-major over
/// the (H/p, W/p) grid. <see cref="Masks"/> is an alias of the caller's mask or null. Dispose to free the tensors.
/// </summary>
public sealed record Dinov2Features(Tensor XNormClsToken, Tensor XNormRegTokens, Tensor XNormPatchTokens, Tensor XPrenorm, Tensor? Masks) : IDisposable
{
    public void Dispose()
    {
        XNormClsToken.Dispose(); XNormRegTokens.Dispose(); XNormPatchTokens.Dispose(); XPrenorm.Dispose(); Masks?.Dispose();
    }
}
