using HfDiff.Torch.Data.Classification;
using TorchSharp;
using static TorchSharp.torch;

namespace HfDiff.Torch.Tests.Data;

[TestClass]
public class ClassificationTransformsTests
{
    [TestMethod]
    public void Eval_NonSquareImage_ResizesShorterSideThenCentreCrops()
    {
        torch.manual_seed(3);
        using var image = torch.rand(1, 3, 20, 30);
        var options = new ClassificationTransformOptions { CropSize = 8, ResizeSize = 10, Normalize = false };
        using var output = ClassificationTransforms.Eval(image, options);
        CollectionAssert.AreEqual(new long[] { 3, 8, 8 }, output.shape);
        // torchvision: Resize(10) on 20×30 → 10×15 (long side truncated), CenterCrop(8) offsets round(1)=1, round(3.5)=4 (half to even).
        Assert.AreEqual((10, 15), ClassificationTransforms.ShorterSideSize(20, 30, 10));
        Assert.AreEqual(new CropBox(1, 4, 8, 8), ClassificationTransforms.CenterCropBox(10, 15, 8));
        using var resized = nn.functional.interpolate(image, [10, 15], mode: InterpolationMode.Bilinear, align_corners: false, antialias: true);
        using var expected = resized[0, .., 1..9, 4..12];
        Assert.IsTrue(output.allclose(expected, 0, 0));
    }

    [TestMethod]
    public void Eval_DefaultResize_Is256For224AndNormalisesWithImageNetStatistics()
    {
        Assert.AreEqual(256, new ClassificationTransformOptions().EffectiveResizeSize);
        Assert.AreEqual(37, new ClassificationTransformOptions { CropSize = 32 }.EffectiveResizeSize);
        // A constant image equal to the ImageNet mean normalises to zero; the mean + std image to one.
        using var mean = torch.tensor(new[] { 0.485f, 0.456f, 0.406f }).reshape(1, 3, 1, 1).expand(1, 3, 40, 40).contiguous();
        using var plusStd = mean + torch.tensor(new[] { 0.229f, 0.224f, 0.225f }).reshape(1, 3, 1, 1);
        var options = new ClassificationTransformOptions { CropSize = 16 };
        using var zero = ClassificationTransforms.Eval(mean, options);
        using var one = ClassificationTransforms.Eval(plusStd, options);
        Assert.IsTrue(zero.abs().max().item<float>() < 1e-5f);
        Assert.IsTrue((one - 1).abs().max().item<float>() < 1e-5f);
    }

    [TestMethod]
    public void Train_SameRandomSeed_SameOutputAndOtherSeedsDiffer()
    {
        torch.manual_seed(4);
        using var image = torch.rand(1, 3, 48, 40);
        var options = new ClassificationTransformOptions { CropSize = 16 };
        using var a = ClassificationTransforms.Train(image, options, new Random(7));
        using var b = ClassificationTransforms.Train(image, options, new Random(7));
        CollectionAssert.AreEqual(new long[] { 3, 16, 16 }, a.shape);
        Assert.IsTrue(a.allclose(b, 0, 0));
        int differing = 0;
        for (int s = 8; s < 13; s++)
        {
            using var c = ClassificationTransforms.Train(image, options, new Random(s));
            if (!a.allclose(c, 0, 0)) differing++;
        }
        Assert.AreEqual(5, differing);
    }

    [TestMethod]
    public void Train_FlipProbabilityOneAndFullCrop_IsMirroredResize()
    {
        torch.manual_seed(5);
        using var image = torch.rand(1, 3, 12, 12);
        var options = new ClassificationTransformOptions { CropSize = 12, ScaleMin = 1, ScaleMax = 1, RatioMin = 1, RatioMax = 1, HorizontalFlipProbability = 1, Normalize = false };
        using var output = ClassificationTransforms.Train(image, options, new Random(1));
        using var expected = image[0].flip(2);
        Assert.IsTrue(output.allclose(expected, 0, 1e-6));
    }

    [TestMethod]
    public void RandomResizedCropBox_ManyDraws_InsideImageWithAreaAndRatioInRange()
    {
        var options = new ClassificationTransformOptions();
        var rng = new Random(11);
        int h = 300, w = 400;
        for (int i = 0; i < 2000; i++)
        {
            var box = ClassificationTransforms.RandomResizedCropBox(h, w, options, rng);
            Assert.IsTrue(box.Top >= 0 && box.Left >= 0 && box.Top + box.Height <= h && box.Left + box.Width <= w, $"box {box} outside {h}×{w}");
            double area = (double)box.Height * box.Width / (h * w);
            double ratio = (double)box.Width / box.Height;
            // Rounding of w and h to integers widens the ranges by about a pixel.
            Assert.IsTrue(area > 0.07 && area <= 1.0, $"area fraction {area}");
            Assert.IsTrue(ratio > 0.74 && ratio < 1.35, $"ratio {ratio}");
        }
    }

    [TestMethod]
    public void RandomResizedCropBox_ImpossibleRequest_FallsBackToCentreCropWithClampedRatio()
    {
        // 10×100 cannot hold any box with ratio ≤ 4/3 and area ≥ 90%: torchvision's fallback is a centred 10×13 crop.
        var options = new ClassificationTransformOptions { ScaleMin = 0.9, ScaleMax = 1 };
        var box = ClassificationTransforms.RandomResizedCropBox(10, 100, options, new Random(2));
        Assert.AreEqual(new CropBox(0, 43, 10, 13), box);
    }

    [TestMethod]
    public void Validate_BadOptions_ThrowNamingParameterAndValue()
    {
        var e = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => new ClassificationTransformOptions { CropSize = 0 }.Validate());
        Assert.AreEqual("CropSize", e.ParamName);
        StringAssert.Contains(e.Message, "got 0");
        e = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => new ClassificationTransformOptions { CropSize = 32, ResizeSize = 16 }.Validate());
        Assert.AreEqual("ResizeSize", e.ParamName);
        e = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => new ClassificationTransformOptions { ScaleMin = 0.5, ScaleMax = 0.2 }.Validate());
        StringAssert.Contains(e.Message, "(0.5, 0.2)");
        using var gray = torch.zeros(1, 1, 8, 8);
        Assert.ThrowsExactly<ArgumentException>(() => ClassificationTransforms.Eval(gray, new ClassificationTransformOptions { CropSize = 4 }));
    }
}
