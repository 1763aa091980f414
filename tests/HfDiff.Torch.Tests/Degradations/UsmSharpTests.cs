using System.Globalization;
using HfDiff.Torch.Degradations;
using static TorchSharp.torch;

namespace HfDiff.Torch.Tests.Degradations;

[TestClass]
public class UsmSharpTests
{
    const double Tolerance = 1e-5;        // README
    const double FlipThreshold = 1e-3;    // fraction of pixels off by more than this must be 0

    [TestMethod]
    [TestCategory("Parity.Degradation")]
    public void Kernel_OpenCvGaussian_MatchesReference()
    {
        var fx = DegradationFixture.Shared;
        var expected = fx["usm/kernel"];
        using var usm = new UsmSharp((int)expected.shape[1]);
        Assert.AreEqual((int)expected.shape[1], usm.Radius);
        DegradationAssert.MaxAbsBelow(usm.Kernel, expected, 1e-9, "usm/kernel");
    }

    [TestMethod]
    [TestCategory("Parity.Degradation")]
    public void Forward_FixtureSettings_MatchReference()
    {
        var fx = DegradationFixture.Shared;
        var names = fx.Io.WithPrefix("usm/out_");
        Assert.IsTrue(names.Count > 0, "no usm/out_* tensors.");
        using var usm = new UsmSharp((int)fx["usm/kernel"].shape[1]);
        var input = fx["image/batch2_f32_nchw"];
        foreach (var name in names)
        {
            // usm/out_default = (0.5, 10); usm/out_w<weight>_t<threshold>
            double weight = 0.5, threshold = 10;
            var tag = name["usm/out_".Length..];
            if (tag != "default")
            {
                var parts = tag.Split('_');
                weight = double.Parse(parts.Single(p => p.StartsWith('w'))[1..], CultureInfo.InvariantCulture);
                threshold = double.Parse(parts.Single(p => p.StartsWith('t'))[1..], CultureInfo.InvariantCulture);
            }
            using var actual = usm.Forward(input, weight, threshold);
            DegradationAssert.MaxAbsBelow(actual, fx[name], Tolerance, name);
            Assert.AreEqual(0.0, DegradationAssert.FractionAbove(actual, fx[name], FlipThreshold), $"{name}: mask flips");
        }
    }

    [TestMethod]
    public void Constructor_EvenRadius_BecomesOdd()
    {
        using var usm = new UsmSharp(10);
        Assert.AreEqual(11, usm.Radius);
        CollectionAssert.AreEqual(new long[] { 1, 11, 11 }, usm.Kernel.shape);
        Assert.AreEqual(1.0, usm.Kernel.sum().item<float>(), 1e-6);
    }

    [TestMethod]
    public void GaussianKernel1D_SmallDefaultSigma_ThrowsBecauseTableNotPorted()
    {
        var e = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => UsmSharp.GaussianKernel1D(5, 0));
        Assert.AreEqual("ksize", e.ParamName);
    }

    [TestMethod]
    public void Forward_SeparableBlur_MatchesTwoDimensionalKernel()
    {
        using var g = new TorchSharp.torch.Generator(7);
        using var img = TorchSharp.torch.rand(new long[] { 2, 3, 70, 60 }, generator: g);
        using var separable = new UsmSharp();
        using var full = new UsmSharp { Separable = false };
        using var a = separable.Forward(img);
        using var b = full.Forward(img);
        HfDiff.Tests.Common.TensorAssert.MaxAbsBelow(a, b, 1e-5, "separable vs 2-D USM");
    }
}
