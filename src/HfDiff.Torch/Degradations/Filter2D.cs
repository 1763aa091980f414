// Port of filter2D from XPixelGroup/BasicSR basicsr/utils/img_process_util.py (commit 8d56e3a045f9fb3e1d8872f92ee4a4f07f886b0a).
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace HfDiff.Torch.Degradations;

/// <summary>The PyTorch counterpart of <c>cv2.filter2D</c> used throughout the degradation pipeline.</summary>
public static class Filter2D
{
    /// <summary>
    /// Filters <paramref name="img"/> <c>(B, C, H, W)</c> with odd square kernels: reflect padding of <c>k // 2</c>
    /// (mirror without repeating the edge, OpenCV BORDER_REFLECT_101), then cross-correlation (the kernel is not
    /// flipped). <paramref name="kernel"/> is <c>(1, k, k)</c> (one kernel for every image and channel) or
    /// <c>(B, k, k)</c> (one kernel per sample, shared by its channels); a <c>(k, k)</c> kernel counts as <c>(1, k, k)</c>.
    /// The padding needs <c>k // 2 &lt; H</c> and <c>&lt; W</c>.
    /// </summary>
    public static Tensor Apply(Tensor img, Tensor kernel)
    {
        ArgumentNullException.ThrowIfNull(img);
        ArgumentNullException.ThrowIfNull(kernel);
        if (img.dim() != 4) throw new ArgumentException($"img must be (B, C, H, W); got shape [{string.Join(", ", img.shape)}].", nameof(img));
        if (kernel.dim() == 2) kernel = kernel.unsqueeze(0);
        if (kernel.dim() != 3 || kernel.shape[1] != kernel.shape[2])
            throw new ArgumentException($"kernel must be (1|B, k, k); got shape [{string.Join(", ", kernel.shape)}].", nameof(kernel));
        long k = kernel.shape[^1];
        if (k % 2 != 1) throw new ArgumentException($"kernel size must be odd; got {k}.", nameof(kernel));
        long b = img.shape[0], c = img.shape[1], h = img.shape[2], w = img.shape[3];
        if (kernel.shape[0] != 1 && kernel.shape[0] != b)
            throw new ArgumentException($"kernel batch must be 1 or the image batch {b}; got {kernel.shape[0]}.", nameof(kernel));
        long pad = k / 2;
        if (pad >= h || pad >= w)
            throw new ArgumentException($"reflect padding of {pad} (kernel {k}) needs an image larger than {pad} pixels; got {h}x{w}.", nameof(img));

        using var scope = NewDisposeScope();
        var padded = F.pad(img, [pad, pad, pad, pad], TorchSharp.PaddingModes.Reflect);
        long ph = padded.shape[2], pw = padded.shape[3];
        var weight = kernel.to(img.dtype, img.device);
        Tensor result;
        if (kernel.shape[0] == 1)
        {
            // Same kernel for all images: every channel is a separate 1-channel image.
            result = F.conv2d(padded.reshape(b * c, 1, ph, pw), weight.reshape(1, 1, k, k)).reshape(b, c, h, w);
        }
        else
        {
            // Per-sample kernels: one group per (sample, channel).
            var grouped = weight.reshape(b, 1, k, k).repeat(1, c, 1, 1).reshape(b * c, 1, k, k);
            result = F.conv2d(padded.reshape(1, b * c, ph, pw), grouped, groups: b * c).reshape(b, c, h, w);
        }
        return result.MoveToOuterDisposeScope();
    }
}
