using HfDiff.Torch.Imaging;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using static TorchSharp.torch;

namespace HfDiff.Torch.Tests.Imaging;

[TestClass]
public class ImageIOTests
{
    static string Temp(string name) => Path.Combine(Path.GetTempPath(), $"hfdiff-img-{Guid.NewGuid():N}-{name}");

    static byte[] Pattern(int w, int h)
    {
        var rgb = new byte[w * h * 3];
        for (int i = 0; i < rgb.Length; i++) rgb[i] = (byte)((i * 37 + i / 7) & 0xff);
        return rgb;
    }

    [TestMethod]
    public void WritePng_ThenRead_IsBytewiseIdentical()
    {
        var rgb = Pattern(17, 9);
        var path = Temp("a.png");
        ImageIO.WritePng(rgb, 17, 9, path);
        var img = ImageIO.Read(path);
        Assert.AreEqual(17, img.Width); Assert.AreEqual(9, img.Height);
        using var t = img.ToTensor();
        var (back, _, _) = ImageIO.ToRgb24(t);
        CollectionAssert.AreEqual(rgb, back);
        Assert.AreEqual(rgb[3 * 5 + 1] / 255f, img.Planar[17 * 9 + 5]); // G plane, pixel 5
        File.Delete(path);
    }

    [TestMethod]
    public void ToRgb24_RoundsHalfToEven()
    {
        // 0.5/255 → 0.5 → 0 ; 1.5/255 → 2 ; 2.5/255 → 2
        using var t = tensor(new float[] { 0.5f / 255, 1.5f / 255, 2.5f / 255 }, [3, 1, 1]);
        var (b, _, _) = ImageIO.ToRgb24(t);
        CollectionAssert.AreEqual(new byte[] { 0, 2, 2 }, b);
    }

    [TestMethod]
    public void Read_GrayRgbaPalette16Bit_AllBecomeRgb()
    {
        var gray = Temp("g.png");
        using (var im = new Image<L8>(4, 3, new L8(200))) im.SaveAsPng(gray);
        var g = ImageIO.Read(gray);
        Assert.AreEqual(200 / 255f, g.Planar[0]); Assert.AreEqual(200 / 255f, g.Planar[2 * 12]);

        var rgba = Temp("a.png");
        using (var im = new Image<Rgba32>(4, 3, new Rgba32(10, 20, 30, 0))) im.SaveAsPng(rgba);
        var a = ImageIO.Read(rgba); // alpha dropped, colour kept even where fully transparent
        Assert.AreEqual(10 / 255f, a.Planar[0]); Assert.AreEqual(30 / 255f, a.Planar[2 * 12]);

        var deep = Temp("d.png");
        using (var im = new Image<Rgb48>(2, 2, new Rgb48(65535, 1, 32768))) im.SaveAsPng(deep);
        var d = ImageIO.Read(deep);
        Assert.AreEqual(16, d.BitDepth);
        Assert.AreEqual(1 / 65535f, d.Planar[4]);

        var bmp = Temp("b.bmp");
        using (var im = new Image<Rgb24>(3, 2, new Rgb24(1, 2, 3))) im.SaveAsBmp(bmp);
        Assert.AreEqual(3 / 255f, ImageIO.Read(bmp).Planar[2 * 6]);
        foreach (var f in new[] { gray, rgba, deep, bmp }) File.Delete(f);
    }

    [TestMethod]
    public void Read_NotAnImage_ThrowsNamingFile()
    {
        var path = Temp("x.png");
        File.WriteAllText(path, "hello");
        var e = Assert.ThrowsExactly<ImageDecodeException>(() => ImageIO.Read(path));
        StringAssert.Contains(e.Message, path);
        File.Delete(path);
    }

    [TestMethod]
    public void Read_TruncatedPng_ThrowsNamingFile()
    {
        var path = Temp("t.png");
        ImageIO.WritePng(Pattern(64, 64), 64, 64, path);
        var bytes = File.ReadAllBytes(path);
        File.WriteAllBytes(path, bytes[..(bytes.Length / 2)]);
        var e = Assert.ThrowsExactly<ImageDecodeException>(() => ImageIO.Read(path));
        StringAssert.Contains(e.Message, path);
        File.Delete(path);
    }

    [TestMethod]
    public void Read_OverPixelLimit_RefusedBeforeDecoding()
    {
        var path = Temp("big.png");
        ImageIO.WritePng(Pattern(40, 30), 40, 30, path);
        var e = Assert.ThrowsExactly<ImageDecodeException>(() => ImageIO.Read(path, new ImageReadOptions { MaxPixels = 1000 }));
        StringAssert.Contains(e.Message, "exceeds the limit");
        File.Delete(path);
    }

    [TestMethod]
    public void Read_ExifOrientation6_IsRotated()
    {
        var path = Temp("o.jpg");
        using (var im = new Image<Rgb24>(8, 4, new Rgb24(128, 128, 128)))
        {
            im.Metadata.ExifProfile = new SixLabors.ImageSharp.Metadata.Profiles.Exif.ExifProfile();
            im.Metadata.ExifProfile.SetValue(SixLabors.ImageSharp.Metadata.Profiles.Exif.ExifTag.Orientation, (ushort)6);
            im.SaveAsJpeg(path);
        }
        var img = ImageIO.Read(path);
        Assert.AreEqual(4, img.Width); Assert.AreEqual(8, img.Height);
        File.Delete(path);
    }
}
