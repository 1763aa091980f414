using HfDiff.Torch.Metrics.Lpips;
using static TorchSharp.torch;

namespace HfDiff.Torch.Losses.Perceptual;

/// <summary>
/// LPIPS v0.1 as a training loss (the ablation baseline of the HF perceptual loss): batch mean of the LPIPS distance
/// between SR and GT, with gradients flowing to SR through the frozen trunk and linear layers.
/// </summary>
public sealed class LpipsPerceptualLoss : IPerceptualLoss
{
    readonly LpipsMetric _lpips;

    /// <param name="lpips">The network (e.g. <see cref="LpipsMetric.FromModelDirectory"/>); its parameters stay frozen.</param>
    /// <param name="inputsInZeroOne">True: SR/GT are in [0,1] (mapped by 2x−1 as pyiqa does); false: already in [-1,1].</param>
    /// <param name="weight">Loss weight.</param>
    public LpipsPerceptualLoss(LpipsMetric lpips, bool inputsInZeroOne = false, double weight = 1.0)
    {
        ArgumentNullException.ThrowIfNull(lpips);
        if (!(weight >= 0)) throw new ArgumentOutOfRangeException(nameof(weight), $"weight must be >= 0; got {weight}.");
        _lpips = lpips;
        InputsInZeroOne = inputsInZeroOne;
        Weight = weight;
        foreach (var p in _lpips.parameters()) p.requires_grad = false;
    }

    public bool InputsInZeroOne { get; }
    public double Weight { get; }

    public Tensor Compute(Tensor sr, Tensor gt)
    {
        using var scope = NewDisposeScope();
        using var output = _lpips.Forward(sr, gt, normalize: InputsInZeroOne, withGradients: true);
        return (output.Distance.mean() * Weight).MoveToOuterDisposeScope();
    }
}
