namespace HfDiff.Torch.Degradations;

/// <summary>
/// The <c>F.interpolate</c> modes the Real-ESRGAN pipeline chooses from (uniformly, at each of its three resizes).
/// </summary>
public enum ResizeMode
{
    /// <summary><c>mode='area'</c>: adaptive average pooling to the output size.</summary>
    Area,
    /// <summary><c>mode='bilinear'</c>, <c>align_corners=False</c>, no antialias.</summary>
    Bilinear,
    /// <summary><c>mode='bicubic'</c> (A = −0.75), <c>align_corners=False</c>, no antialias, not clipped.</summary>
    Bicubic,
}
