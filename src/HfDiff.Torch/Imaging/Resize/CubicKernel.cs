using System.Numerics;

namespace HfDiff.Torch.Imaging.Resize;

/// <summary>
/// The cubic convolution kernels of the resize variants, side by side. The two forms round differently, so each variant
/// keeps the form (and precision) of the code it was checked against; see <see cref="ResizeVariants"/>.
/// </summary>
internal static class CubicKernel
{
    /// <summary>
    /// MATLAB's bicubic kernel (a = −0.5), expanded as MATLAB's <c>cubic</c>, BasicSR's <c>cubic</c> and pyiqa's
    /// <c>cubic_contribution</c> write it: <c>1.5|x|³ − 2.5|x|² + 1</c> on [0, 1], <c>−0.5|x|³ + 2.5|x|² − 4|x| + 2</c>
    /// on (1, 2], else 0. Evaluated in <typeparamref name="T"/> (float32 for pyiqa, float64 for BasicSR) in that
    /// operation order, which is the order of both references (pyiqa's <c>a·|x|³ − 5a·|x|² + …</c> gives the same bits).
    /// </summary>
    public static T Matlab<T>(T x) where T : IFloatingPointIeee754<T>
    {
        T one = T.One, two = one + one;
        T ax = T.Abs(x), ax2 = ax * ax, ax3 = ax2 * ax;
        if (ax <= one) return T.CreateTruncating(1.5) * ax3 - T.CreateTruncating(2.5) * ax2 + one;
        if (ax <= two) return T.CreateTruncating(-0.5) * ax3 + T.CreateTruncating(2.5) * ax2 - T.CreateTruncating(4.0) * ax + two;
        return T.Zero; // also for NaN, as both references
    }

    /// <summary>torch's <c>cubic_convolution1</c> (Keys, |x| ≤ 1) in its Horner form, float64.</summary>
    public static double TorchNear(double x, double a) => ((a + 2) * x - (a + 3)) * x * x + 1;

    /// <summary>torch's <c>cubic_convolution2</c> (Keys, 1 &lt; |x| &lt; 2) in its Horner form, float64.</summary>
    public static double TorchFar(double x, double a) => ((a * x - 5 * a) * x + 8 * a) * x - 4 * a;
}
