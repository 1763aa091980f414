using HfDiff.Torch.Degradations;
using static TorchSharp.torch;

namespace HfDiff.Torch.Tests.Degradations;

[TestClass]
public class InterpolationTests
{
    const double Tolerance = 1e-5; // README

    [TestMethod]
    [TestCategory("Parity.Degradation")]
    public void Interpolate_ConfigCalls_MatchReference()
    {
        var fx = DegradationFixture.Shared;
        var entries = fx.Config.GetProperty("interpolate").EnumerateObject().ToList();
        Assert.IsTrue(entries.Count > 0, "config.json lists no interpolate calls.");
        foreach (var entry in entries)
        {
            var e = entry.Value;
            var input = fx.Resolve(e.GetProperty("input").GetString()!);
            var mode = Interpolation.ParseMode(e.GetProperty("mode").GetString()!);
            var expected = fx[entry.Name];
            CollectionAssert.AreEqual(e.GetProperty("out_shape").EnumerateArray().Select(v => v.GetInt64()).ToArray(), expected.shape, entry.Name);
            Tensor actual;
            if (e.GetProperty("scale_factor").ValueKind == System.Text.Json.JsonValueKind.Number)
                actual = Interpolation.ByScaleFactor(input, e.GetProperty("scale_factor").GetDouble(), mode);
            else
            {
                var size = e.GetProperty("size").EnumerateArray().Select(v => v.GetInt64()).ToArray();
                actual = Interpolation.ToSize(input, size[0], size[1], mode);
            }
            using (actual) DegradationAssert.MaxAbsBelow(actual, expected, Tolerance, entry.Name);
        }
    }

    [TestMethod]
    public void ByScaleFactor_Bilinear_UsesGivenScaleNotSizeRatio()
    {
        // 10 → floor(10·0.37) = 3 pixels; with the given scale the grid differs from a size-based call (scale 10/3).
        using var x = arange(10, ScalarType.Float32).reshape(1, 1, 1, 10).expand(1, 1, 4, 10).contiguous();
        using var bySf = Interpolation.ByScaleFactor(x, 0.37, ResizeMode.Bilinear);
        using var bySize = Interpolation.ToSize(x, 1, 3, ResizeMode.Bilinear);
        Assert.AreEqual(3L, bySf.shape[3]);
        // dst 0 → src (0.5)/0.37 − 0.5 = 0.851…, vs (0.5)·10/3 − 0.5 = 1.1667.
        Assert.AreEqual(0.5 / 0.37 - 0.5, bySf[0, 0, 0, 0].item<float>(), 1e-5);
        Assert.AreEqual(0.5 * 10 / 3 - 0.5, bySize[0, 0, 0, 0].item<float>(), 1e-5);
    }

    [TestMethod]
    public void ByScaleFactor_EmptyOutput_ThrowsNamingScaleFactor()
    {
        using var x = zeros(1, 3, 4, 4);
        var e = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => Interpolation.ByScaleFactor(x, 0.1, ResizeMode.Area));
        Assert.AreEqual("scaleFactor", e.ParamName);
    }

    [TestMethod]
    public void ParseMode_Unknown_Throws()
    {
        var e = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => Interpolation.ParseMode("nearest"));
        StringAssert.Contains(e.Message, "nearest");
    }
}
