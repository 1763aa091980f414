using HfDiff.Torch.Assets;
using HfDiff.Torch.Metrics;
using static TorchSharp.torch;

namespace HfDiff.Torch.Tests.Metrics;

[TestClass]
public class MetricRegistryTests
{
    [TestMethod]
    [DataRow("psnr", false, MetricMode.FullReference)]
    [DataRow("psnry", false, MetricMode.FullReference)]
    [DataRow("ssim", false, MetricMode.FullReference)]
    [DataRow("ssimc", false, MetricMode.FullReference)]
    [DataRow("niqe", true, MetricMode.NoReference)]
    public void Describe_ClassicNames_FollowPyiqaTable(string name, bool lowerBetter, MetricMode mode)
    {
        Assert.AreEqual(lowerBetter, MetricRegistry.LowerIsBetter(name));
        Assert.AreEqual(mode, MetricRegistry.ModeOf(name));
        CollectionAssert.Contains(MetricRegistry.Names.ToList(), name);
    }

    [TestMethod]
    public void Create_NameVariants_SetPyiqaDefaults()
    {
        using var psnry = (Psnr)MetricRegistry.Create("psnry");
        Assert.IsTrue(psnry.Options.TestYChannel);
        using var psnr = (Psnr)MetricRegistry.Create("psnr");
        Assert.IsFalse(psnr.Options.TestYChannel);
        using var ssimc = (Ssim)MetricRegistry.Create("ssimc");
        Assert.IsFalse(ssimc.Options.TestYChannel);
        using var ssim = (Ssim)MetricRegistry.Create("SSIM");
        Assert.IsTrue(ssim.Options.TestYChannel);
        Assert.AreEqual("ssimc", ssimc.Name);
    }

    [TestMethod]
    public void Create_WithOptions_OverridesDefaults()
    {
        var options = new PsnrOptions { TestYChannel = true, ColorSpace = YChannelColorSpace.YCbCr, CropBorder = 2 };
        using var m = (Psnr)MetricRegistry.Create("psnr", options: options);
        Assert.AreEqual(options, m.Options);
        using var a = rand(1, 3, 16, 16);
        using var b = rand(1, 3, 16, 16);
        Assert.AreEqual(Psnr.Compute(a, b, options), m.Score(a, b));
    }

    [TestMethod]
    public void Create_NiqeFromModelDirectory_ScoresLikeDirectConstruction()
    {
        var (mu, cov) = IqaFixture.NiqeParameterArrays();
        var dir = Directory.CreateTempSubdirectory("hfdiff-registry-");
        try
        {
            // Write the BasicSR-style .npz into the model directory.
            var path = Path.Combine(dir.FullName, KnownAssets.NiqeBasicSrParams.FileName);
            using (var zip = System.IO.Compression.ZipFile.Open(path, System.IO.Compression.ZipArchiveMode.Create))
            {
                Write(zip, "mu_pris_param.npy", [36], mu);
                Write(zip, "cov_pris_param.npy", [36, 36], cov);
            }
            using var fromRegistry = MetricRegistry.Create("niqe", new ModelDirectory(dir.FullName));
            using var direct = new Niqe(new NiqeParameters(mu, cov));
            using var img = rand(1, 3, 200, 200); // 2×2 blocks
            Assert.AreEqual(direct.Score(img), fromRegistry.Score(img));
        }
        finally { dir.Delete(true); }
    }

    static void Write(System.IO.Compression.ZipArchive zip, string name, int[] shape, double[] data)
    {
        string shapeText = shape.Length == 1 ? $"({shape[0]},)" : $"({shape[0]}, {shape[1]})";
        string dict = $"{{'descr': '<f8', 'fortran_order': False, 'shape': {shapeText}, }}\n";
        using var s = zip.CreateEntry(name).Open();
        s.Write([0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y', 1, 0]);
        s.Write(BitConverter.GetBytes((ushort)dict.Length));
        s.Write(System.Text.Encoding.ASCII.GetBytes(dict));
        foreach (var v in data) s.Write(BitConverter.GetBytes(v));
    }

    [TestMethod]
    public void Create_UnknownName_ThrowsListingKnownNames()
    {
        var e = Assert.ThrowsExactly<ArgumentException>(() => MetricRegistry.Create("psnr-hvs"));
        StringAssert.Contains(e.Message, "psnr-hvs");
        StringAssert.Contains(e.Message, "niqe");
    }

    [TestMethod]
    public void Create_WrongOptionsType_ThrowsNamingExpectedType()
    {
        var e = Assert.ThrowsExactly<ArgumentException>(() => MetricRegistry.Create("psnr", options: new SsimOptions()));
        StringAssert.Contains(e.Message, nameof(PsnrOptions));
        StringAssert.Contains(e.Message, nameof(SsimOptions));
    }

    [TestMethod]
    public void Create_NiqeWithoutParameters_ThrowsModelAssetMissing()
    {
        var dir = Directory.CreateTempSubdirectory("hfdiff-registry-empty-");
        try
        {
            Assert.ThrowsExactly<ModelAssetMissingException>(() => MetricRegistry.Create("niqe", new ModelDirectory(dir.FullName)));
        }
        finally { dir.Delete(true); }
    }
}
