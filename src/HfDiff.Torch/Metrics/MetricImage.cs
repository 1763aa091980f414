using static TorchSharp.torch;

namespace HfDiff.Torch.Metrics;

/// <summary>
/// A metric input copied out of its tensor: planar float32 channels (C×H×W, row-major), as pyiqa receives it
/// (float32 in [0,1]). The classic metrics run on plain arrays because that is several times faster than tensor ops here.
/// </summary>
internal sealed class MetricImage
{
    public int Channels { get; }
    public int Height { get; }
    public int Width { get; }
    public float[] Data { get; }
    public int Plane => Height * Width;

    public MetricImage(int channels, int height, int width, float[] data)
    {
        Channels = channels; Height = height; Width = width; Data = data;
    }

    /// <summary>Copies a (1,C,H,W) float32 tensor with C = 1 or 3; <paramref name="name"/> is used in error messages.</summary>
    public static MetricImage FromTensor(Tensor image, string name)
    {
        Validate(image, name);
        var shape = image.shape;
        using var cpu = image.detach().cpu().contiguous();
        // Tensor.bytes views the storage directly; data<T>().ToArray() goes element by element and is ~20× slower.
        var data = System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(cpu.bytes).ToArray();
        return new MetricImage((int)shape[1], (int)shape[2], (int)shape[3], data);
    }

    /// <summary>Checks that <paramref name="image"/> is a (1,C,H,W) float32 tensor with C = 1 or 3.</summary>
    public static void Validate(Tensor image, string name)
    {
        ArgumentNullException.ThrowIfNull(image, name);
        var shape = image.shape;
        if (shape.Length != 4 || shape[0] != 1 || (shape[1] != 3 && shape[1] != 1))
            throw new ArgumentException($"{name} must have shape (1, 3, H, W) (or (1, 1, H, W) for gray); got {Shape(image)}.", name);
        if (image.dtype != ScalarType.Float32)
            throw new ArgumentException($"{name} must be float32 in [0, 1]; got {image.dtype}.", name);
        if (shape[2] < 1 || shape[3] < 1)
            throw new ArgumentException($"{name} is empty: {Shape(image)}.", name);
    }

    /// <summary>Throws when the distorted and reference tensors do not have the same shape (pyiqa asserts the same).</summary>
    public static void RequireSameShape(Tensor distorted, Tensor? reference)
    {
        if (reference is null)
            throw new ArgumentNullException(nameof(reference), "This full-reference metric needs a reference image.");
        if (!distorted.shape.SequenceEqual(reference.shape))
            throw new ArgumentException(
                $"distorted and reference images must have the same shape; got distorted {Shape(distorted)} and reference {Shape(reference)}.",
                nameof(reference));
    }

    public static string Shape(Tensor t) => "(" + string.Join(", ", t.shape) + ")";

    /// <summary>The sub-image without <paramref name="border"/> pixels on each side (pyiqa's <c>x[..., cb:-cb, cb:-cb]</c>).</summary>
    public MetricImage CropBorder(int border)
    {
        if (border == 0) return this;
        int h = Height - 2 * border, w = Width - 2 * border;
        if (h < 1 || w < 1)
            throw new ArgumentException($"CropBorder {border} leaves nothing of a {Height}×{Width} image.");
        var dst = new float[Channels * h * w];
        for (int c = 0; c < Channels; c++)
            for (int y = 0; y < h; y++)
                Array.Copy(Data, c * Plane + (y + border) * Width + border, dst, (c * h + y) * w, w);
        return new MetricImage(Channels, h, w, dst);
    }
}
