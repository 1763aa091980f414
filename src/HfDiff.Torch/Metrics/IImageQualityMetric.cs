using static TorchSharp.torch;

namespace HfDiff.Torch.Metrics;

/// <summary>Full-reference metrics compare a distorted image with its reference; no-reference metrics score one image.</summary>
public enum MetricMode { FullReference, NoReference }

/// <summary>
/// One image-quality metric with pyiqa semantics (pyiqa's <c>InferenceModel</c>): inputs are RGB (1,3,H,W) float32 in
/// [0,1] (= u8/255, what <c>pyiqa.imread2tensor</c> gives); the call order is <c>Score(distorted, reference)</c>, as
/// pyiqa's <c>metric(dist, ref)</c>. Implementations own their normalisation, weights and device.
/// </summary>
public interface IImageQualityMetric : IDisposable
{
    /// <summary>pyiqa's metric name, e.g. <c>psnr</c>, <c>ssim</c>, <c>niqe</c>, <c>lpips</c>.</summary>
    string Name { get; }
    MetricMode Mode { get; }
    /// <summary>As pyiqa's <c>lower_better</c> table.</summary>
    bool LowerIsBetter { get; }

    /// <summary>Scores one image (NR) or one pair (FR; <paramref name="reference"/> required, same size as distorted).</summary>
    double Score(Tensor distorted, Tensor? reference = null);
}
