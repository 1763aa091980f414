using HfDiff.Torch.Degradations;
using static TorchSharp.torch;

namespace HfDiff.Torch.Tests.Degradations;

[TestClass]
public class PoissonNoiseTests
{
    const double Tolerance = 1e-6; // README

    [TestMethod]
    [TestCategory("Parity.Degradation")]
    public void Add_FixedCounts_MatchesReference()
    {
        var fx = DegradationFixture.Shared;
        var calls = NoiseCall.All(fx, "add_poisson_noise_pt").ToList();
        Assert.IsTrue(calls.Count > 0, "config.json lists no add_poisson_noise_pt call.");
        foreach (var call in calls)
        {
            var img = fx.Resolve(call.Input);
            var sampler = call.Sampler(fx);
            using var scale = call.PerSample(fx, "scale", img.shape[0]);
            using var gray = call.PerSample(fx, "gray_noise", img.shape[0]);
            using var actual = PoissonNoise.Add(img, scale, gray, sampler, call.Flag("clip"), call.Flag("rounds"));
            Assert.AreEqual(0, sampler.Remaining, $"{call.Output}: not every stored draw was consumed");
            DegradationAssert.MaxAbsBelow(actual, fx[call.Output], Tolerance, call.Output);

            // The rates passed to torch.poisson and the quantisation levels, where the fixture stores them.
            for (int i = 0; i < call.Draws.Count; i++)
            {
                var seen = call.Draws[i].Replace("_counts_", "_rate_") + "_seen";
                if (fx.Io.Contains(seen))
                    DegradationAssert.MaxAbsBelow(sampler.SeenPoissonRates[i], fx[seen], 1e-4, seen);
                var valsName = call.Draws[i].Replace("_counts_", "_vals_") + "_expected";
                if (fx.Io.Contains(valsName))
                {
                    var source = call.Draws[i].Contains("gray") ? PoissonNoise.RgbToGray(img) : img.alias();
                    using (source)
                    using (var r = (source * 255.0).round().clamp(0, 255) / 255.0)
                    {
                        var levels = PoissonNoise.QuantisationLevels(r);
                        CollectionAssert.AreEqual(fx[valsName].data<float>().ToArray(), levels, valsName);
                    }
                }
            }
            foreach (var t in sampler.SeenPoissonRates) t.Dispose();
        }
    }

    [TestMethod]
    public void QuantisationLevels_CountsDistinctLevelsPerSample()
    {
        // Sample 0: 3 distinct levels → 4; sample 1: 1 level → 1.
        using var x = tensor(new float[] { 0, 1 / 255f, 2 / 255f, 2 / 255f, 0.5f, 0.5f, 0.5f, 0.5f }, [2, 1, 2, 2]);
        using var r = (x * 255.0).round() / 255.0;
        CollectionAssert.AreEqual(new float[] { 4, 1 }, PoissonNoise.QuantisationLevels(r));
    }

    [TestMethod]
    public void Generate_GrayNeedsRgb_Throws()
    {
        using var img = zeros(1, 1, 4, 4);
        using var scale = ones(1);
        using var gray = ones(1);
        var e = Assert.ThrowsExactly<ArgumentException>(() => PoissonNoise.Generate(img, scale, gray, new ReplayNoiseSampler()));
        StringAssert.Contains(e.Message, "3 channels");
    }
}
