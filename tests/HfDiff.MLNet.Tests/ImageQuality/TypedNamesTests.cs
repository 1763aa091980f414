using HfDiff.MLNet;
using HfDiff.MLNet.ImageQuality;
using HfDiff.Tests.Common;
using HfDiff.Torch.Assets;
using HfDiff.Torch.Metrics;
using HfDiff.Torch.Metrics.Lpips;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace HfDiff.MLNet.Tests.ImageQuality;

/// <summary>The typed alternatives to the string options: metric and device names, color space and LPIPS network enums.</summary>
[TestClass]
public class TypedNamesTests
{
    public sealed class PathPair { public string Sr { get; set; } = ""; public string Gt { get; set; } = ""; }

    static IDataView Pairs(MLContext ml)
    {
        var samples = Path.Combine(TestPaths.RepositoryRoot() ?? throw new AssertFailedException("repository root not found"), "data", "samples");
        return ml.Data.LoadFromEnumerable(Directory.GetFiles(Path.Combine(samples, "sr"), "*.png").Order(StringComparer.Ordinal)
            .Select(sr => new PathPair { Sr = sr, Gt = Path.Combine(samples, "gt", Path.GetFileName(sr)) }).ToList());
    }

    /// <summary>Every built-in metric has its constant (other tests register metrics named test-*, left out).</summary>
    [TestMethod]
    public void Metrics_AreExactlyTheBuiltInMetricNames()
    {
        CollectionAssert.AreEquivalent(MetricRegistry.Names.Where(n => !n.StartsWith("test-", StringComparison.Ordinal)).ToList(), Metrics.All.ToList());
        foreach (var name in Metrics.All) Assert.AreEqual(name, MetricRegistry.Describe(name).Name, name);
    }

    [TestMethod]
    public void Devices_AreTorchDevices()
    {
        Assert.AreEqual("cpu", Devices.Cpu);
        Assert.AreEqual("cuda:1", Devices.CudaAt(1));
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => Devices.CudaAt(-1));
        TorchDevicesParse(Devices.Cpu);
        StringAssert.StartsWith(Devices.CudaAt(0), Devices.Cuda + ":");
    }

    static void TorchDevicesParse(string device) => Assert.AreEqual(TorchSharp.DeviceType.CPU, Torch.TorchDevices.Parse(device).type);

    [TestMethod]
    public void MetricConstant_ScoresAsItsString()
    {
        var ml = new MLContext();
        var data = Pairs(ml);
        float[] Score(string metric) => ml.Transforms.ImageQuality.Score(new ImageQualityScorerOptions
        {
            Metric = metric, OutputColumnName = "S", DistortedColumnName = "Sr", ReferenceColumnName = "Gt", Device = Devices.Cpu,
        }).Fit(data).Transform(data).GetColumn<float>("S").ToArray();
        CollectionAssert.AreEqual(Score("psnry"), Score(Metrics.PsnrY));
    }

    [TestMethod]
    public void ColorSpaceEnum_EqualsTheStringSetting()
    {
        var ml = new MLContext();
        var data = Pairs(ml);
        float[] Column(IEstimator<ITransformer> e, string name) => e.Fit(data).Transform(data).GetColumn<float>(name).ToArray();
        CollectionAssert.AreEqual(
            Column(ml.Transforms.ImageQuality.Psnr("P", "Sr", "Gt", testYChannel: true, colorSpace: "ycbcr"), "P"),
            Column(ml.Transforms.ImageQuality.Psnr("P", "Sr", "Gt", YChannelColorSpace.YCbCr, testYChannel: true), "P"));
        CollectionAssert.AreEqual(
            Column(ml.Transforms.ImageQuality.Ssim("S", "Sr", "Gt", colorSpace: "ycbcr"), "S"),
            Column(ml.Transforms.ImageQuality.Ssim("S", "Sr", "Gt", YChannelColorSpace.YCbCr), "S"));
        CollectionAssert.AreNotEqual(
            Column(ml.Transforms.ImageQuality.Ssim("S", "Sr", "Gt", YChannelColorSpace.Yiq), "S"),
            Column(ml.Transforms.ImageQuality.Ssim("S", "Sr", "Gt", YChannelColorSpace.YCbCr), "S"), "the enum reaches the metric");
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => ml.Transforms.ImageQuality.Psnr("P", "Sr", "Gt", (YChannelColorSpace)7));
    }

    [TestMethod]
    public void LpipsNetEnum_PicksTheNetwork()
    {
        var ml = new MLContext();
        var data = Pairs(ml);
        var dir = Directory.CreateTempSubdirectory("hfdiff-lpips-net-").FullName;
        try
        {
            // Without weights Fit names the files of the network asked for.
            var vgg = Assert.ThrowsExactly<ModelAssetMissingException>(() => ml.Transforms.ImageQuality.Lpips("L", "Sr", "Gt", LpipsNet.Vgg, modelDirectory: dir).Fit(data));
            StringAssert.Contains(vgg.Message, KnownAssets.TorchvisionVgg16.FileName);
            var alex = Assert.ThrowsExactly<ModelAssetMissingException>(() => ml.Transforms.ImageQuality.Lpips("L", "Sr", "Gt", LpipsNet.Alex, modelDirectory: dir).Fit(data));
            StringAssert.Contains(alex.Message, KnownAssets.TorchvisionAlexNet.FileName);
        }
        finally { Directory.Delete(dir, true); }
    }
}
