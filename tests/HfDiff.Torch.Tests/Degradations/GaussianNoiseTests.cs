using HfDiff.Torch.Degradations;
using static TorchSharp.torch;

namespace HfDiff.Torch.Tests.Degradations;

[TestClass]
public class GaussianNoiseTests
{
    const double Tolerance = 1e-6; // README (noise with fixed draws)

    [TestMethod]
    [TestCategory("Parity.Degradation")]
    public void Add_FixedDraws_MatchesReference()
    {
        var fx = DegradationFixture.Shared;
        var calls = NoiseCall.All(fx, "add_gaussian_noise_pt").ToList();
        Assert.IsTrue(calls.Count > 0, "config.json lists no add_gaussian_noise_pt call.");
        foreach (var call in calls)
        {
            var img = fx.Resolve(call.Input);
            var sampler = call.Sampler(fx);
            Tensor actual;
            if (call.IsScalar("sigma") && call.IsScalar("gray_noise"))
                actual = GaussianNoise.Add(img, call.Scalar("sigma"), call.Scalar("gray_noise") > 0, sampler, call.Flag("clip"), call.Flag("rounds"));
            else
            {
                using var sigma = call.PerSample(fx, "sigma", img.shape[0]);
                using var gray = call.PerSample(fx, "gray_noise", img.shape[0]);
                actual = GaussianNoise.Add(img, sigma, gray, sampler, call.Flag("clip"), call.Flag("rounds"));
            }
            using (actual)
            {
                Assert.AreEqual(0, sampler.Remaining, $"{call.Output}: not every stored draw was consumed");
                double tol = call.Flag("rounds") ? 1 / 255.0 + 1e-6 : Tolerance;
                DegradationAssert.MaxAbsBelow(actual, fx[call.Output], tol, call.Output);
                if (call.Flag("rounds"))
                    Assert.IsTrue(DegradationAssert.FractionAbove(actual, fx[call.Output], Tolerance) <= 0.001, $"{call.Output}: too many rounding flips");
            }
        }
    }

    [TestMethod]
    public void Generate_GrayAndColourSamples_ShareOneGrayField()
    {
        var sampler = new ReplayNoiseSampler();
        using var grayField = arange(6, ScalarType.Float32).reshape(2, 3);
        using var colour = full(new long[] { 2, 3, 2, 3 }, 100f);
        sampler.Enqueue("gray", grayField).Enqueue("colour", colour);
        using var img = zeros(2, 3, 2, 3);
        using var sigma = tensor(new float[] { 255, 510 });
        using var gray = tensor(new float[] { 1, 0 });
        using var noise = GaussianNoise.Generate(img, sigma, gray, sampler);
        // Sample 0 (gray): the shared field × σ/255 = field in every channel; sample 1: colour × 2.
        Assert.IsTrue(noise[0, 2].allclose(grayField, 0, 0));
        Assert.AreEqual(200f, noise[1, 1, 1, 2].item<float>());
    }

    [TestMethod]
    public void Generate_NoGraySample_DrawsOnlyColour()
    {
        var sampler = new ReplayNoiseSampler();
        using var colour = ones(1, 3, 4, 4);
        sampler.Enqueue("colour", colour);
        using var img = zeros(1, 3, 4, 4);
        using var noise = GaussianNoise.Generate(img, 255.0, gray: false, sampler);
        Assert.AreEqual(0, sampler.Remaining);
        Assert.AreEqual(1f, noise.mean().item<float>());
    }

    [TestMethod]
    public void Generate_SigmaCountMismatch_ThrowsNamingSigma()
    {
        using var img = zeros(2, 3, 4, 4);
        using var sigma = tensor(new float[] { 1, 2, 3 });
        using var gray = zeros(2);
        var e = Assert.ThrowsExactly<ArgumentException>(() => GaussianNoise.Generate(img, sigma, gray, new ReplayNoiseSampler()));
        Assert.AreEqual("sigma", e.ParamName);
    }

    [TestMethod]
    public void ReplaySampler_WrongShape_ThrowsNamingDraw()
    {
        using var img = zeros(1, 3, 4, 4);
        using var wrong = zeros(1, 3, 5, 4);
        var sampler = new ReplayNoiseSampler().Enqueue("my_draw", wrong);
        var e = Assert.ThrowsExactly<InvalidOperationException>(() => GaussianNoise.Generate(img, 5.0, false, sampler));
        StringAssert.Contains(e.Message, "my_draw");
    }
}
