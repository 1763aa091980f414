namespace HfDiff.Torch.Metrics.Lpips;

/// <summary>Registry options of LPIPS v0.1: which trunk (pyiqa's <c>lpips</c> = alex, <c>lpips-vgg</c> = vgg).</summary>
public sealed record LpipsOptions
{
    public LpipsNet Net { get; init; } = LpipsNet.Alex;
}
