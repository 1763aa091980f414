using HfDiff.Torch.Imaging.Resize;
using HfDiff.Torch.Tests.Degradations;
using static TorchSharp.torch;

namespace HfDiff.Torch.Tests.Imaging.Resize;

[TestClass]
public class MatlabResizeTests
{
    const double Tolerance = 1e-5; // README

    [TestMethod]
    [TestCategory("Parity.Degradation")]
    public void BasicSrFloat64_ConfigScales_MatchReference()
    {
        var fx = DegradationFixture.Shared;
        var entries = fx.Config.GetProperty("imresize").EnumerateObject().ToList();
        Assert.IsTrue(entries.Count > 0, "config.json lists no imresize calls.");
        foreach (var entry in entries)
        {
            var e = entry.Value;
            double scale = e.GetProperty("scale").GetDouble();
            bool aa = e.GetProperty("antialiasing").GetBoolean();
            // "input" is given as "image/rgb_f32_nchw[0] (CHW)"; entries without it use the same image.
            var inputRef = e.TryGetProperty("input", out var inp) ? inp.GetString()! : "image/rgb_f32_nchw[0]";
            using var input = fx.Resolve(inputRef)[0];
            var expected = fx[entry.Name];
            if (e.TryGetProperty("out_shape", out var os))
                CollectionAssert.AreEqual(os.EnumerateArray().Select(v => v.GetInt64()).ToArray(), expected.shape, entry.Name);
            using var actual = MatlabResize.BasicSrFloat64(input, scale, aa);
            Assert.AreEqual(ScalarType.Float32, actual.dtype);
            DegradationAssert.MaxAbsBelow(actual, expected, Tolerance, entry.Name);
        }
    }

    [TestMethod]
    public void BasicSrFloat64_ConstantImage_StaysConstantWithCeilSize()
    {
        using var img = full(new long[] { 3, 13, 7 }, 0.25f);
        using var down = MatlabResize.BasicSrFloat64(img, 0.3);
        CollectionAssert.AreEqual(new long[] { 3, 4, 3 }, down.shape); // ceil(13·0.3)=4, ceil(7·0.3)=3
        Assert.AreEqual(0.0, (down - 0.25f).abs().max().item<float>(), 1e-6);
    }

    [TestMethod]
    public void BasicSrFloat64_NonPositiveScale_ThrowsNamingScale()
    {
        using var img = zeros(3, 8, 8);
        var e = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => MatlabResize.BasicSrFloat64(img, 0));
        Assert.AreEqual("scale", e.ParamName);
    }
}
