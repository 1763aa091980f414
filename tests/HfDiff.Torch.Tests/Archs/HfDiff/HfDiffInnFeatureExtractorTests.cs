using HfDiff.Tests.Common;
using HfDiff.Torch.Archs.HfDiff;
using TorchSharp;
using static TorchSharp.torch;

namespace HfDiff.Torch.Tests.Archs.HfDiff;

[TestClass]
public class HfDiffInnFeatureExtractorTests
{
    [TestMethod]
    public void Forward_VqLatentShape_PreservesSpatialSize()
    {
        var options = new HfDiffInnFeatureExtractorOptions { Channels = 16, NumNodes = 2, StemDepth = 1, NumClasses = 10 };
        using var net = new HfDiffInnFeatureExtractor(options);
        using var _ = torch.no_grad();
        using var x = torch.randn(2, 3, 64, 48);
        using var y = net.forward(x);
        CollectionAssert.AreEqual(new long[] { 2, 16, 64, 48 }, y.shape);
        using var logits = net.Classify(x);
        CollectionAssert.AreEqual(new long[] { 2, 10 }, logits.shape);
    }

    [TestMethod]
    public void Defaults_FollowPaper_N64K3Classes1000()
    {
        using var net = new HfDiffInnFeatureExtractor();
        Assert.AreEqual(64, net.Options.Channels);
        Assert.AreEqual(3, net.Options.NumNodes);
        Assert.AreEqual(3, net.Options.InChannels);
        Assert.AreEqual(1000, net.Options.NumClasses);
        Assert.AreEqual(3, net.Inn.NumLayers);
        var keys = net.state_dict().Keys.ToList();
        CollectionAssert.Contains(keys, "inn.net.2.shffleconv.weight");
        CollectionAssert.Contains(keys, "stem_blocks.1.conv2.weight");
        CollectionAssert.Contains(keys, "head.weight");
    }

    [TestMethod]
    [TestCategory("Parity.Inn")]
    public void LoadInnWeights_OfficialNesting_InnMatchesReferenceOutput()
    {
        var dir = TestPaths.Fixture("inn");
        var config = TestPaths.ReadConfig(dir);
        using var io = new FixtureTensors(Path.Combine(dir, "io.safetensors"));
        var input = io[config.GetProperty("input").GetProperty("name").GetString()!];
        var official = Path.Combine(dir, config.GetProperty("official_nesting_file").GetProperty("file").GetString()!);
        var model = config.GetProperty("models").EnumerateObject()
            .Single(m => m.Value.GetProperty("constructor_kwargs").GetProperty("num_layers").GetInt32() == new HfDiffInnFeatureExtractorOptions().NumNodes);
        using var net = new HfDiffInnFeatureExtractor(new HfDiffInnFeatureExtractorOptions { Channels = (int)input.shape[1] });
        net.LoadInnWeights(official, CddFuseInnSource.DidfEncoder);
        using var _ = torch.no_grad();
        using var y = net.Inn.forward(input);
        TensorAssert.MaxAbsBelow(y, io[model.Value.GetProperty("output").GetString()!], 1e-4, model.Name);
    }

    [TestMethod]
    public void LoadWeights_SaveThenLoad_RoundTrips()
    {
        var options = new HfDiffInnFeatureExtractorOptions { Channels = 8, NumNodes = 1, StemDepth = 0, NumClasses = 4 };
        using var a = new HfDiffInnFeatureExtractor(options);
        var path = Path.Combine(Path.GetTempPath(), $"hfdiff-inn-ext-{Guid.NewGuid():N}.safetensors");
        try
        {
            TorchSharp.PyBridge.PyBridgeModuleExtensions.save_safetensors(a, path);
            using var b = new HfDiffInnFeatureExtractor(options);
            b.LoadWeights(path);
            using var _ = torch.no_grad();
            using var x = torch.randn(1, 3, 8, 8);
            using var ya = a.forward(x);
            using var yb = b.forward(x);
            Assert.IsTrue(ya.allclose(yb, 0, 0));
        }
        finally { File.Delete(path); }
    }

    [TestMethod]
    public void Constructor_InvalidOptions_ThrowNamingOption()
    {
        Assert.AreEqual("Channels", Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => new HfDiffInnFeatureExtractor(new() { Channels = 63 })).ParamName);
        Assert.AreEqual("NumNodes", Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => new HfDiffInnFeatureExtractor(new() { NumNodes = 0 })).ParamName);
        Assert.AreEqual("StemDepth", Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => new HfDiffInnFeatureExtractor(new() { StemDepth = -1 })).ParamName);
    }

    [TestMethod]
    public void Forward_WrongInputChannels_ThrowsNamingShape()
    {
        using var net = new HfDiffInnFeatureExtractor(new() { Channels = 8, NumNodes = 1, NumClasses = 2 });
        using var x = torch.zeros(1, 4, 8, 8);
        var e = Assert.ThrowsExactly<ArgumentException>(() => net.forward(x));
        StringAssert.Contains(e.Message, "(B, 3, H, W)");
    }
}
