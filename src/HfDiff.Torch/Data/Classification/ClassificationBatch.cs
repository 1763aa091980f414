using static TorchSharp.torch;

namespace HfDiff.Torch.Data.Classification;

/// <summary>
/// One batch: <see cref="Images"/> <c>(B, 3, S, S)</c> float32 (normalised if the transform says so) and
/// <see cref="Labels"/> <c>(B)</c> int64, on the CPU. B can be below the batch size when images were skipped or at the
/// end of an epoch. The consumer owns the tensors: dispose the batch.
/// </summary>
public sealed class ClassificationBatch(int epoch, int batchIndex, Tensor images, Tensor labels, IReadOnlyList<string> paths) : IDisposable
{
    public int Epoch { get; } = epoch;
    /// <summary>Position of the batch in its epoch (0-based), counting batches whose images were all skipped.</summary>
    public int BatchIndex { get; } = batchIndex;
    public Tensor Images { get; } = images;
    public Tensor Labels { get; } = labels;
    public IReadOnlyList<string> Paths { get; } = paths;
    public int Count => Paths.Count;

    public void Dispose()
    {
        Images.Dispose();
        Labels.Dispose();
    }
}
