using HfDiff.Torch.Archs.Dinov2;
using HfDiff.Torch.Archs.HfDiff;
using HfDiff.Torch.Losses.Perceptual;
using HfDiff.Torch.Metrics.Lpips;
using HfDiff.Torch.Archs.Vgg;

namespace HfDiff.Torch.Training.HfDiff;

/// <summary>The frozen networks behind <see cref="HfDiffExtraTerms"/>; each is needed only by its term.</summary>
public sealed record HfDiffLossNetworks
{
    /// <summary>INN extractor of the high-frequency term (3 input channels: latents or RGB).</summary>
    public HfDiffInnFeatureExtractor? Inn { get; init; }
    /// <summary>DINOv2 of the distribution-matching term.</summary>
    public DinoVisionTransformer? Dinov2 { get; init; }
    /// <summary>VGG16 features of the VGG perceptual baseline.</summary>
    public Vgg16Features? Vgg { get; init; }
    /// <summary>LPIPS of the LPIPS baseline.</summary>
    public LpipsMetric? Lpips { get; init; }
}
