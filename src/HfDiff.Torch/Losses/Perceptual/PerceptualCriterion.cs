namespace HfDiff.Torch.Losses.Perceptual;

/// <summary>Feature distance of <see cref="VggPerceptualLoss"/> (BasicSR <c>PerceptualLoss(criterion=...)</c>).</summary>
public enum PerceptualCriterion
{
    /// <summary>'l1': mean absolute difference (<c>nn.L1Loss</c>).</summary>
    L1,
    /// <summary>'l2': mean squared difference (<c>nn.MSELoss</c>).</summary>
    L2,
    /// <summary>'fro': Frobenius norm of the difference over the whole batch (<c>torch.norm(x - gt, p='fro')</c>).</summary>
    Fro,
}
