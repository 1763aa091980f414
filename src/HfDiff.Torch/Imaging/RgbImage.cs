namespace HfDiff.Torch.Imaging;

/// <summary>
/// A decoded image as planar RGB float32 in [0,1] (C=3, H, W; row-major planes). 8-bit sources are exactly u8/255
/// (what <c>torchvision.transforms.functional.to_tensor</c> gives); 16-bit sources are u16/65535.
/// </summary>
public sealed class RgbImage(int width, int height, float[] planar, int bitDepth)
{
    public int Width { get; } = width;
    public int Height { get; } = height;
    /// <summary>Bits per channel of the source file (8 or 16).</summary>
    public int BitDepth { get; } = bitDepth;
    /// <summary>R plane, then G, then B; each Height×Width.</summary>
    public float[] Planar { get; } = planar;

    /// <summary>(1, 3, H, W) float32 tensor in [0,1] on the CPU.</summary>
    public TorchSharp.torch.Tensor ToTensor() => TorchSharp.torch.tensor(Planar, [1, 3, Height, Width]);
}
