namespace HfDiff.Torch.Imaging.Resize;

/// <summary>
/// The taps of a 1-D resampling: for each output position, <see cref="Count"/> source indices (the boundary rule already
/// applied, so every index is inside the input) and their weights. Row-major <c>[output, tap]</c>.
/// </summary>
internal sealed class ResizeTaps<T>(int outSize, int count) where T : struct
{
    public int OutSize { get; } = outSize;

    /// <summary>Taps per output position.</summary>
    public int Count { get; } = count;

    public int[] Index { get; } = new int[checked(outSize * count)];

    public T[] Weight { get; } = new T[checked(outSize * count)];
}
