namespace HfDiff.Torch.Samplers;

/// <summary>How overlapping SR tiles are merged (ResShift <c>utils.util_image.ImageSpliterTh</c>).</summary>
public enum TileBlending
{
    /// <summary>Each tile weighted by a separable OpenCV Gaussian window (<c>weight_type='Gaussian'</c>,
    /// σ = 0.3((k−1)/2 − 1) + 0.8 per side), accumulated in float64.</summary>
    Gaussian,
    /// <summary>Plain average of the overlapping tiles (<c>weight_type='ones'</c>; the only mode of ResShift v1 / SinSR).</summary>
    Uniform,
}
