using HfDiff.Torch.Data.SrPairs;
using HfDiff.Torch.Imaging;
using static TorchSharp.torch;

namespace HfDiff.Torch.Tests.Data.SrPairs;

[TestClass]
public class SrPairWriterTests
{
    [TestMethod]
    public void DegradeFile_NoGtSize_WholeImageModCroppedToScale()
    {
        using var dir = new SrPairTestImages();
        var path = dir.Png("a.png", 102, 90, 4);
        using var writer = new SrPairWriter();

        using var pair = writer.DegradeFile(path, seed: 5);

        CollectionAssert.AreEqual(new long[] { 1, 3, 88, 100 }, pair.Gt.shape);
        CollectionAssert.AreEqual(new long[] { 1, 3, 22, 25 }, pair.Lq.shape);
        using var hr = ImageIO.ReadTensor(path);
        using var topLeft = hr.narrow(2, 0, 88).narrow(3, 0, 100);
        Assert.IsTrue(pair.Gt.allclose(topLeft, 0, 0), "the GT is the unsharpened top-left mod-crop");
    }

    [TestMethod]
    public void WriteFile_SameSeed_SameBytesOtherSeedDifferent()
    {
        using var dir = new SrPairTestImages();
        var path = dir.Png("a.png", 120, 100, 6);
        using var writer = new SrPairWriter();
        string Out(string n) => Path.Combine(dir.Root, "out", n);

        writer.WriteFile(path, Out("lq1.png"), Out("gt1.png"), seed: 42, gtSize: 80);
        writer.WriteFile(path, Out("lq2.png"), Out("gt2.png"), seed: 42, gtSize: 80);
        using (var other = new SrPairWriter())
            other.WriteFile(path, Out("lq3.png"), null, seed: 43, gtSize: 80);

        CollectionAssert.AreEqual(File.ReadAllBytes(Out("lq1.png")), File.ReadAllBytes(Out("lq2.png")));
        CollectionAssert.AreEqual(File.ReadAllBytes(Out("gt1.png")), File.ReadAllBytes(Out("gt2.png")));
        CollectionAssert.AreNotEqual(File.ReadAllBytes(Out("lq1.png")), File.ReadAllBytes(Out("lq3.png")));
        var lq = ImageIO.Read(Out("lq1.png"));
        Assert.AreEqual(20, lq.Width);
        Assert.AreEqual(20, lq.Height);
        Assert.IsFalse(File.Exists(Out("gt3.png")));
    }

    [TestMethod]
    public void DegradeFile_LqPngRoundTrip_IsExact()
    {
        using var dir = new SrPairTestImages();
        var path = dir.Png("a.png", 96, 96, 8);
        using var writer = new SrPairWriter();
        using var pair = writer.DegradeFile(path, seed: 1, gtSize: 96);
        var lqPath = Path.Combine(dir.Root, "lq.png");
        ImageIO.WritePng(pair.Lq, lqPath);
        using var back = ImageIO.ReadTensor(lqPath);
        Assert.IsTrue(back.allclose(pair.Lq, 0, 1e-6), "the LQ holds 8-bit levels");
    }

    [TestMethod]
    public void DegradeFile_PlainGtSource_DiffersFromSharpenedWithSameDraws()
    {
        using var dir = new SrPairTestImages();
        var path = dir.Png("a.png", 96, 96, 8);
        using var sharp = new SrPairWriter();
        using var plain = new SrPairWriter(lqFromSharpenedGt: false);
        using var a = sharp.DegradeFile(path, seed: 3, gtSize: 80);
        using var b = plain.DegradeFile(path, seed: 3, gtSize: 80);
        Assert.IsTrue(a.Gt.allclose(b.Gt, 0, 0), "same crop");
        Assert.IsFalse(a.Lq.allclose(b.Lq, 0, 0), "LQ from the unsharpened GT");
    }

    [TestMethod]
    public void DegradeFile_TooSmallWithoutGtSize_ThrowsNamingFileAndMinimum()
    {
        using var dir = new SrPairTestImages();
        var path = dir.Png("tiny.png", 40, 30);
        using var writer = new SrPairWriter();
        var e = Assert.ThrowsExactly<ArgumentException>(() => writer.DegradeFile(path, 0));
        StringAssert.Contains(e.Message, path);
        StringAssert.Contains(e.Message, writer.MinimumGtSize.ToString());

        using var padded = writer.DegradeFile(path, 0, gtSize: 80); // a GT size pads it instead
        CollectionAssert.AreEqual(new long[] { 1, 3, 80, 80 }, padded.Gt.shape);
    }

    [TestMethod]
    public void DegradeFile_CorruptFile_ThrowsImageDecodeExceptionNamingFile()
    {
        using var dir = new SrPairTestImages();
        var path = dir.TruncatedPng("bad.png", 90, 90);
        using var writer = new SrPairWriter();
        var e = Assert.ThrowsExactly<ImageDecodeException>(() => writer.DegradeFile(path, 0));
        Assert.AreEqual(path, e.FilePath);
    }

    [TestMethod]
    public void DegradeFile_BadGtSize_ThrowsNamingParameter()
    {
        using var dir = new SrPairTestImages();
        var path = dir.Png("a.png", 90, 90);
        using var writer = new SrPairWriter();
        var e = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => writer.DegradeFile(path, 0, gtSize: 82));
        Assert.AreEqual("gtSize", e.ParamName);
    }

    [TestMethod]
    public void SeedForFile_DependsOnRelativePathOnly()
    {
        Assert.AreEqual(SrPairSeeds.ForFile(1, "a/b.png"), SrPairSeeds.ForFile(1, "a\\b.png"));
        Assert.AreNotEqual(SrPairSeeds.ForFile(1, "a/b.png"), SrPairSeeds.ForFile(1, "a/c.png"));
        Assert.AreNotEqual(SrPairSeeds.ForFile(1, "a/b.png"), SrPairSeeds.ForFile(2, "a/b.png"));
    }
}
