using System.Text.Json;
using HfDiff.Torch.Degradations;
using static TorchSharp.torch;

namespace HfDiff.Torch.Tests.Degradations;

[TestClass]
public class Filter2DTests
{
    const double Tolerance = 1e-6; // README: 1e-6 abs

    [TestMethod]
    [TestCategory("Parity.Degradation")]
    public void Apply_SharedAndPerSampleKernels_MatchReference()
    {
        var fx = DegradationFixture.Shared;
        var cfg = fx.Config.GetProperty("filter2D");
        var single = fx["filter2D/single_kernel"];
        var batchKernels = fx["filter2D/batch_kernels"];
        // The stored kernels are the config's named kernels as float32.
        using (var fromName = fx[cfg.GetProperty("single_kernel_from").GetString()!].to_type(ScalarType.Float32).unsqueeze(0))
            DegradationAssert.MaxAbsBelow(single, fromName, 0, "single_kernel vs its source");
        var sources = cfg.GetProperty("batch_kernels_from").EnumerateArray().Select(e => fx[e.GetString()!].to_type(ScalarType.Float32)).ToArray();
        using (var fromNames = stack(sources, 0))
            DegradationAssert.MaxAbsBelow(batchKernels, fromNames, 0, "batch_kernels vs their sources");

        var image = fx["image/rgb_f32_nchw"];
        var batch = fx["image/batch2_f32_nchw"];
        using var singleOut = Filter2D.Apply(image, single);
        DegradationAssert.MaxAbsBelow(singleOut, fx["filter2D/single_out"], Tolerance, "filter2D/single_out");
        using var batchOut = Filter2D.Apply(batch, batchKernels);
        DegradationAssert.MaxAbsBelow(batchOut, fx["filter2D/batch_out"], Tolerance, "filter2D/batch_out");
        using var shared = batchKernels[1..2];
        using var sharedOut = Filter2D.Apply(batch, shared);
        DegradationAssert.MaxAbsBelow(sharedOut, fx["filter2D/shared_kernel_batch_out"], Tolerance, "filter2D/shared_kernel_batch_out");
    }

    [TestMethod]
    public void Apply_AsymmetricKernel_IsCrossCorrelation()
    {
        // A kernel with a single 1 right of the centre picks the right neighbour (correlation), not the left (convolution).
        using var img = arange(25, ScalarType.Float32).reshape(1, 1, 5, 5);
        using var k = zeros(1, 3, 3);
        k[0, 1, 2] = tensor(1f);
        using var y = Filter2D.Apply(img, k);
        Assert.AreEqual(img[0, 0, 2, 3].item<float>(), y[0, 0, 2, 2].item<float>());
        // Reflect-101 at the right edge: column 5 mirrors to column 3.
        Assert.AreEqual(img[0, 0, 2, 3].item<float>(), y[0, 0, 2, 4].item<float>());
    }

    [TestMethod]
    public void Apply_EvenKernel_ThrowsNamingKernel()
    {
        using var img = zeros(1, 3, 8, 8);
        using var k = zeros(1, 4, 4);
        var e = Assert.ThrowsExactly<ArgumentException>(() => Filter2D.Apply(img, k));
        Assert.AreEqual("kernel", e.ParamName);
    }

    [TestMethod]
    public void Apply_ImageSmallerThanPadding_ThrowsNamingImg()
    {
        using var img = zeros(1, 3, 10, 40);
        using var k = zeros(1, 21, 21);
        var e = Assert.ThrowsExactly<ArgumentException>(() => Filter2D.Apply(img, k));
        Assert.AreEqual("img", e.ParamName);
        StringAssert.Contains(e.Message, "10x40");
    }

    [TestMethod]
    public void Apply_KernelBatchMismatch_Throws()
    {
        using var img = zeros(3, 3, 16, 16);
        using var k = zeros(2, 5, 5);
        var e = Assert.ThrowsExactly<ArgumentException>(() => Filter2D.Apply(img, k));
        StringAssert.Contains(e.Message, "1 or the image batch 3");
    }
}
