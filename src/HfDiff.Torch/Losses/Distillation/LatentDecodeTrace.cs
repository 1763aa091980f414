using static TorchSharp.torch;

namespace HfDiff.Torch.Losses.Distillation;

/// <summary>
/// One decode of a latent that keeps what its input gradient needs (e.g. each decoder stage's input, without a graph), so
/// that a loss can decode, score the image, and then take ∂⟨decoder(latent), upstream⟩/∂latent without running the decoder
/// forward a second time. Disposing it frees what it kept, <see cref="Image"/> included.
/// </summary>
public interface ILatentDecodeTrace : IDisposable
{
    /// <summary>The decoded (B, 3, H, W) image ≈ [−1, 1], without a graph, in the latent's dtype; owned by the trace.</summary>
    Tensor Image { get; }

    /// <summary>∂⟨decoder(latent), <paramref name="upstream"/>⟩/∂latent (upstream shaped like <see cref="Image"/>), in the
    /// latent's dtype; the caller owns the result. At most once per trace: it frees the kept stage inputs as it goes.</summary>
    Tensor InputGradient(Tensor upstream);
}
