using System.Text.Json;
using HfDiff.Torch.Degradations;
using static TorchSharp.torch;

namespace HfDiff.Torch.Tests.Degradations;

[TestClass]
public class DiffJpegTests
{
    const double Tolerance = 1e-5; // README: 1e-5 abs on >= 99.9 % of the pixels (quantisation ties may flip)

    [TestMethod]
    [TestCategory("Parity.Degradation")]
    public void Forward_ConfigCalls_MatchReference()
    {
        var fx = DegradationFixture.Shared;
        var cfg = fx.Config.GetProperty("jpeg");
        var input = fx.Resolve(cfg.GetProperty("input").GetString()!);
        using var inputCopy = input.clone();
        var calls = cfg.EnumerateObject().Where(p => p.Value.ValueKind == JsonValueKind.Object).ToList();
        Assert.IsTrue(calls.Count > 0, "config.json lists no jpeg calls.");
        using var nondiff = new DiffJpeg(differentiable: false);
        using var diff = new DiffJpeg(differentiable: true);
        foreach (var call in calls)
        {
            var e = call.Value;
            var jpeg = e.GetProperty("differentiable").GetBoolean() ? diff : nondiff;
            var q = e.GetProperty("quality");
            Tensor actual;
            if (q.ValueKind == JsonValueKind.Number)
            {
                if (e.TryGetProperty("factor", out var f))
                    Assert.AreEqual(f.GetDouble(), DiffJpeg.QualityToFactor(q.GetDouble()), 0, $"{call.Name}: factor");
                actual = jpeg.Forward(input, q.GetDouble());
            }
            else
            {
                var quality = fx[q.GetString()!];
                using var before = quality.clone();
                actual = jpeg.Forward(input, quality);
                Assert.IsTrue(quality.allclose(before, 0, 0), "the quality tensor must not be overwritten");
            }
            using (actual) DegradationAssert.JpegClose(actual, fx[call.Name], Tolerance, call.Name);
        }
        Assert.IsTrue(input.allclose(inputCopy, 0, 0), "the input must not be modified");
    }

    [TestMethod]
    public void QualityToFactor_BelowAndAbove50_MatchFormula()
    {
        Assert.AreEqual(5000.0 / 30 / 100, DiffJpeg.QualityToFactor(30.0), 0);
        Assert.AreEqual(0.8, DiffJpeg.QualityToFactor(60.0), 1e-15);
        Assert.AreEqual(0.8f, DiffJpeg.QualityToFactor(60f), 0);
    }

    [TestMethod]
    public void Forward_HigherQuality_IsCloserToInput()
    {
        // A smooth image with odd size (exercises the zero padding and the crop).
        using var ramp = linspace(0, 1, 37).reshape(1, 1, 1, 37);
        using var col = linspace(0.2, 0.8, 21).reshape(1, 1, 21, 1);
        using var x = (ramp * col).expand(2, 3, 21, 37).contiguous();
        using var jpeg = new DiffJpeg(differentiable: false);
        using var hi = jpeg.Forward(x, 95.0);
        using var lo = jpeg.Forward(x, 10.0);
        CollectionAssert.AreEqual(x.shape, hi.shape);
        double errHi = (hi - x).abs().mean().item<float>(), errLo = (lo - x).abs().mean().item<float>();
        Assert.IsTrue(errHi < 0.01, $"quality 95 error {errHi}");
        Assert.IsTrue(errLo > errHi, $"quality 10 error {errLo} should exceed quality 95 error {errHi}");
    }

    [TestMethod]
    public void Forward_WrongChannelCount_ThrowsNamingX()
    {
        using var x = zeros(1, 1, 16, 16);
        using var jpeg = new DiffJpeg(false);
        var e = Assert.ThrowsExactly<ArgumentException>(() => jpeg.Forward(x, 50.0));
        Assert.AreEqual("x", e.ParamName);
    }

    [TestMethod]
    public void Forward_QualityCountMismatch_ThrowsNamingQuality()
    {
        using var x = zeros(2, 3, 16, 16);
        using var q = tensor(new float[] { 50 });
        using var jpeg = new DiffJpeg(false);
        var e = Assert.ThrowsExactly<ArgumentException>(() => jpeg.Forward(x, q));
        Assert.AreEqual("quality", e.ParamName);
    }

    [TestMethod]
    public void Forward_NonPositiveQuality_Throws()
    {
        using var x = zeros(1, 3, 16, 16);
        using var jpeg = new DiffJpeg(false);
        var e = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => jpeg.Forward(x, 0.0));
        Assert.AreEqual("quality", e.ParamName);
    }
}
