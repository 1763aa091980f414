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

    /// <summary>
    /// Null when an image of <paramref name="height"/>×<paramref name="width"/> pixels can be scored; otherwise a one-line
    /// reason that names the size and the minimum (see <see cref="MetricSize"/>). Networks and filter windows need a
    /// minimum size; every scoring path checks it before the image reaches native code.
    /// </summary>
    string? SizeProblem(long height, long width) => null;

    /// <summary>Scores one image (NR) or one pair (FR; <paramref name="reference"/> required, same size as distorted).</summary>
    double Score(Tensor distorted, Tensor? reference = null);

    /// <summary>
    /// Scores several images (NR) or pairs (FR), each (1,3,H,W); sizes may differ. The result equals
    /// <see cref="Score"/> image by image up to float rounding. Metrics with networks override this to stack
    /// equal-size images into one forward pass (see <see cref="MetricBatching"/>); the others score one by one.
    /// </summary>
    IReadOnlyList<double> ScoreBatch(IReadOnlyList<Tensor> distorted, IReadOnlyList<Tensor>? references = null)
    {
        MetricBatching.CheckBatch(this, distorted, references);
        var scores = new double[distorted.Count];
        for (int i = 0; i < scores.Length; i++) scores[i] = Score(distorted[i], references?[i]);
        return scores;
    }

    /// <summary>
    /// Where the metric computes. Metrics without networks (PSNR, SSIM, NIQE) are C# loops over CPU arrays and stay
    /// on the CPU whatever <see cref="MoveTo"/> is given; the learned metrics move their network and cached tensors.
    /// </summary>
    Device Device => CPU;

    /// <summary>Moves the metric's network to <paramref name="device"/>; inputs on any device are moved there when scored.</summary>
    void MoveTo(Device device) { }
}
