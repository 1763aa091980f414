// Port of the random kernel draws of XPixelGroup/BasicSR basicsr/data/degradations.py (random_mixed_kernels,
// random_bivariate_Gaussian / _generalized_Gaussian / _plateau; commit 8d56e3a045f9fb3e1d8872f92ee4a4f07f886b0a) and of
// xinntao/Real-ESRGAN realesrgan/data/realesrgan_dataset.py RealESRGANDataset.__getitem__ (kernel1, kernel2, sinc_kernel;
// commit a4abfb2979a7bbff3f69f58f58ae324608821e27). The global random/np.random state becomes an explicit generator;
// the order of the draws is the reference's.
namespace HfDiff.Torch.Degradations;

/// <summary>The three kernels the Real-ESRGAN dataset yields per sample, each a float64 <c>[21, 21]</c> array.</summary>
public sealed record RealEsrganKernels(double[,] Kernel1, double[,] Kernel2, double[,] SincKernel);

/// <summary>Random blur kernels with the reference's families, probabilities, ranges and draw order.</summary>
public static class KernelSampler
{
    /// <summary>
    /// <c>random_mixed_kernels</c> (no multiplicative kernel noise): picks a family by <paramref name="kernelProb"/>,
    /// then draws σx (and for anisotropic families σy and the rotation), and for generalized/plateau families β:
    /// with probability ½ β ~ U(β_lo, 1), else U(1, β_hi).
    /// </summary>
    public static double[,] RandomMixedKernels(
        DegradationRandom rng,
        IReadOnlyList<BlurKernelType> kernelList,
        IReadOnlyList<double> kernelProb,
        int kernelSize,
        (double Min, double Max) sigmaXRange,
        (double Min, double Max) sigmaYRange,
        (double Min, double Max) rotationRange,
        (double Min, double Max) betagRange,
        (double Min, double Max) betapRange)
    {
        ArgumentNullException.ThrowIfNull(rng);
        ArgumentNullException.ThrowIfNull(kernelList);
        ArgumentNullException.ThrowIfNull(kernelProb);
        if (kernelList.Count != kernelProb.Count)
            throw new ArgumentException($"kernelProb must have one entry per kernelList entry ({kernelList.Count}); got {kernelProb.Count}.", nameof(kernelProb));
        if (kernelSize % 2 != 1) throw new ArgumentOutOfRangeException(nameof(kernelSize), $"kernelSize must be odd; got {kernelSize}.");
        if (!(sigmaXRange.Min < sigmaXRange.Max)) throw new ArgumentOutOfRangeException(nameof(sigmaXRange), $"sigmaXRange must have Min < Max; got {sigmaXRange}.");

        var type = kernelList[rng.WeightedIndex(kernelProb)];
        bool isotropic = type is BlurKernelType.Iso or BlurKernelType.GeneralizedIso or BlurKernelType.PlateauIso;
        double sigmaX = rng.Uniform(sigmaXRange.Min, sigmaXRange.Max), sigmaY, rotation;
        if (!isotropic)
        {
            if (!(sigmaYRange.Min < sigmaYRange.Max)) throw new ArgumentOutOfRangeException(nameof(sigmaYRange), $"sigmaYRange must have Min < Max; got {sigmaYRange}.");
            if (!(rotationRange.Min < rotationRange.Max)) throw new ArgumentOutOfRangeException(nameof(rotationRange), $"rotationRange must have Min < Max; got {rotationRange}.");
            sigmaY = rng.Uniform(sigmaYRange.Min, sigmaYRange.Max);
            rotation = rng.Uniform(rotationRange.Min, rotationRange.Max);
        }
        else
        {
            sigmaY = sigmaX;
            rotation = 0;
        }
        switch (type)
        {
            case BlurKernelType.Iso:
            case BlurKernelType.Aniso:
                return BlurKernels.BivariateGaussian(kernelSize, sigmaX, sigmaY, rotation, isotropic);
            case BlurKernelType.GeneralizedIso:
            case BlurKernelType.GeneralizedAniso:
                return BlurKernels.BivariateGeneralizedGaussian(kernelSize, sigmaX, sigmaY, rotation, DrawBeta(rng, betagRange), isotropic);
            default:
                return BlurKernels.BivariatePlateau(kernelSize, sigmaX, sigmaY, rotation, DrawBeta(rng, betapRange), isotropic);
        }
    }

    // PORT-QUIRK(BasicSR, degradations.py): "assume beta_range[0] < 1 < beta_range[1]": half the draws below 1, half above.
    static double DrawBeta(DegradationRandom rng, (double Min, double Max) range) =>
        rng.NextDouble() < 0.5 ? rng.Uniform(range.Min, 1) : rng.Uniform(1, range.Max);

    /// <summary>
    /// One blur kernel of <c>RealESRGANDataset.__getitem__</c> (first or second degradation), zero-padded to 21×21:
    /// size ~ <paramref name="kernelRange"/>; with probability <paramref name="sincProb"/> a sinc kernel with cutoff
    /// ~ U(π/3, π) for sizes &lt; 13 and U(π/5, π) otherwise; else <see cref="RandomMixedKernels"/> with
    /// σx, σy ~ <paramref name="blurSigma"/>.
    /// </summary>
    public static double[,] SampleBlurKernel(
        DegradationRandom rng,
        IReadOnlyList<int> kernelRange,
        double sincProb,
        IReadOnlyList<BlurKernelType> kernelList,
        IReadOnlyList<double> kernelProb,
        (double Min, double Max) blurSigma,
        (double Min, double Max) rotationRange,
        (double Min, double Max) betagRange,
        (double Min, double Max) betapRange)
    {
        ArgumentNullException.ThrowIfNull(rng);
        int kernelSize = rng.Choice(kernelRange);
        double[,] kernel;
        if (rng.NextDouble() < sincProb)
        {
            // The cutoff ranges are set for kernel sizes 7..21.
            double omegaC = kernelSize < 13 ? rng.Uniform(Math.PI / 3, Math.PI) : rng.Uniform(Math.PI / 5, Math.PI);
            kernel = BlurKernels.CircularLowpass(omegaC, kernelSize, padTo: 0);
        }
        else
        {
            kernel = RandomMixedKernels(rng, kernelList, kernelProb, kernelSize, blurSigma, blurSigma, rotationRange, betagRange, betapRange);
        }
        // PORT-QUIRK(Real-ESRGAN, realesrgan_dataset.py): always padded to 21, whatever blur_kernel_size says.
        return BlurKernels.ZeroPad(kernel, BlurKernels.PaddedSize);
    }

    /// <summary>
    /// The final sinc kernel of the dataset: with probability <paramref name="finalSincProb"/> a sinc kernel of size
    /// ~ <paramref name="kernelRange"/> and cutoff ~ U(π/3, π) padded to 21; else the 21×21 pulse.
    /// </summary>
    public static double[,] SampleFinalSincKernel(DegradationRandom rng, IReadOnlyList<int> kernelRange, double finalSincProb)
    {
        ArgumentNullException.ThrowIfNull(rng);
        if (rng.NextDouble() < finalSincProb)
        {
            int kernelSize = rng.Choice(kernelRange);
            double omegaC = rng.Uniform(Math.PI / 3, Math.PI);
            return BlurKernels.CircularLowpass(omegaC, kernelSize, padTo: BlurKernels.PaddedSize);
        }
        return BlurKernels.Pulse();
    }

    /// <summary>kernel1, kernel2 and sinc_kernel for one sample, in the dataset's draw order.</summary>
    public static RealEsrganKernels SampleDatasetKernels(DegradationRandom rng, RealEsrganDegradationOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var o = options;
        var k1 = SampleBlurKernel(rng, o.KernelRange, o.SincProb, o.KernelList, o.KernelProb, o.BlurSigma, o.RotationRange, o.BetagRange, o.BetapRange);
        var k2 = SampleBlurKernel(rng, o.KernelRange, o.SincProb2, o.KernelList2, o.KernelProb2, o.BlurSigma2, o.RotationRange, o.BetagRange2, o.BetapRange2);
        var sinc = SampleFinalSincKernel(rng, o.KernelRange, o.FinalSincProb);
        return new RealEsrganKernels(k1, k2, sinc);
    }
}
