using HfDiff.Torch.Archs.Dinov2;
using TorchSharp;
using static TorchSharp.torch;

namespace HfDiff.Torch.Tests.Archs.Dinov2;

[TestClass]
public class Dinov2ImagePreprocessorTests
{
    [TestMethod]
    public void Prepare_ResizeToMultiple_RoundsEachSideToNearestMultipleOf14()
    {
        var prep = new Dinov2ImagePreprocessor();
        using var x = torch.rand(3, 3, 256, 100);
        using var y = prep.Prepare(x);
        CollectionAssert.AreEqual(new long[] { 3, 3, 252, 98 }, y.shape);
        Assert.AreEqual((14L, 14L), prep.OutputSize(3, 5));
    }

    [TestMethod]
    public void Prepare_MeanColouredImage_NormalisesToZero()
    {
        var o = new Dinov2PreprocessOptions();
        var prep = new Dinov2ImagePreprocessor(o);
        using var mean = torch.tensor(o.Mean.Select(v => (float)v).ToArray()).reshape(1, 3, 1, 1);
        using var img = mean.expand(2, 3, 28, 42).contiguous();
        using var y = prep.Prepare(img);
        Assert.IsTrue(y.abs().max().item<float>() < 1e-6);
    }

    [TestMethod]
    public void Prepare_MinusOneToOne_MapsMinusOneToImageNetZero()
    {
        var prep = new Dinov2ImagePreprocessor(new() { InputRange = ImageValueRange.MinusOneToOne, SizeMode = Dinov2SizeMode.None });
        using var img = torch.full(1, 3, 14, 14, -1f);
        using var y = prep.Prepare(img);
        Assert.AreEqual(-0.485 / 0.229, y[0, 0, 0, 0].item<float>(), 1e-5);
        Assert.AreEqual(-0.406 / 0.225, y[0, 2, 5, 5].item<float>(), 1e-5);
    }

    [TestMethod]
    public void Prepare_CenterCropAndFixed_GiveExpectedSizes()
    {
        using var x = torch.rand(1, 3, 31, 45);
        using var crop = new Dinov2ImagePreprocessor(new() { SizeMode = Dinov2SizeMode.CenterCropToMultiple }).Prepare(x);
        CollectionAssert.AreEqual(new long[] { 1, 3, 28, 42 }, crop.shape);
        using var fixedSize = new Dinov2ImagePreprocessor(new() { SizeMode = Dinov2SizeMode.ResizeToFixed, Height = 224, Width = 70 }).Prepare(x);
        CollectionAssert.AreEqual(new long[] { 1, 3, 224, 70 }, fixedSize.shape);
    }

    [TestMethod]
    public void Options_Invalid_ThrowNamingOption()
    {
        Assert.AreEqual("Height", Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => new Dinov2ImagePreprocessor(new() { SizeMode = Dinov2SizeMode.ResizeToFixed, Height = 100 })).ParamName);
        Assert.AreEqual("Std", Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => new Dinov2ImagePreprocessor(new() { Std = [1, 1] })).ParamName);
        using var gray = torch.zeros(1, 1, 14, 14);
        Assert.AreEqual("images", Assert.ThrowsExactly<ArgumentException>(() => new Dinov2ImagePreprocessor().Prepare(gray)).ParamName);
    }
}
