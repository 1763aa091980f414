using System.Text.Json;
using HfDiff.Tests.Common;
using HfDiff.Torch.Degradations;

namespace HfDiff.Torch.Tests.Degradations;

[TestClass]
public class RealEsrganDegradationOptionsJsonTests
{
    static string Temp(string text)
    {
        var p = Path.Combine(Path.GetTempPath(), $"hfdiff-deg-{Guid.NewGuid():N}.json");
        File.WriteAllText(p, text);
        return p;
    }

    [TestMethod]
    [TestCategory("Parity.Degradation")]
    public void Load_FixtureOptionsFile_EqualsEveryListedValue()
    {
        var path = Path.Combine(TestPaths.Fixture("degradation"), "degradation_options.json");
        var options = RealEsrganDegradationOptionsJson.Load(path);
        using var doc = JsonDocument.Parse(File.ReadAllText(path));
        var model = doc.RootElement.GetProperty("model_opts");
        Assert.AreEqual(model.GetProperty("scale").GetInt32(), options.Scale);
        Assert.AreEqual(model.GetProperty("gaussian_noise_prob2").GetDouble(), options.GaussianNoiseProb2);
        CollectionAssert.AreEqual(model.GetProperty("resize_prob").EnumerateArray().Select(v => v.GetDouble()).ToList(), options.ResizeProb.ToList());
        var range = model.GetProperty("noise_range2").EnumerateArray().Select(v => v.GetDouble()).ToArray();
        Assert.AreEqual((range[0], range[1]), options.NoiseRange2);
        var dataset = doc.RootElement.GetProperty("dataset_opts");
        Assert.AreEqual(dataset.GetProperty("final_sinc_prob").GetDouble(), options.FinalSincProb);
        CollectionAssert.AreEqual(dataset.GetProperty("kernel_list2").EnumerateArray().Select(v => BlurKernelTypes.Parse(v.GetString()!)).ToList(), options.KernelList2.ToList());
    }

    [TestMethod]
    public void Load_FlatFile_OverridesOnlyGivenKeys()
    {
        var path = Temp("""{ "scale": 2, "jpeg_range": [50, 60], "kernel_list": ["iso"], "kernel_prob": [1.0] }""");
        var o = RealEsrganDegradationOptionsJson.Load(path);
        Assert.AreEqual(2, o.Scale);
        Assert.AreEqual((50.0, 60.0), o.JpegRange);
        CollectionAssert.AreEqual(new[] { BlurKernelType.Iso }, o.KernelList.ToArray());
        Assert.AreEqual(new RealEsrganDegradationOptions().NoiseRange, o.NoiseRange);
        File.Delete(path);
    }

    [TestMethod]
    public void Load_UnknownKey_ErrorNamesFileAndKey()
    {
        var path = Temp("""{ "resize_probb": [0.2, 0.7, 0.1] }""");
        var e = Assert.ThrowsExactly<InvalidDataException>(() => RealEsrganDegradationOptionsJson.Load(path));
        StringAssert.Contains(e.Message, path);
        StringAssert.Contains(e.Message, "resize_probb");
        File.Delete(path);
    }

    [TestMethod]
    public void Load_BadValue_ErrorNamesKey()
    {
        var path = Temp("""{ "noise_range": [1] }""");
        var e = Assert.ThrowsExactly<InvalidDataException>(() => RealEsrganDegradationOptionsJson.Load(path));
        StringAssert.Contains(e.Message, "noise_range");
        File.Delete(path);
    }
}
