using HfDiff.Torch.Degradations;

namespace HfDiff.Torch.Tests.Degradations;

[TestClass]
public class DegradationRandomTests
{
    [TestMethod]
    public void NextDouble_SameSeed_SameStreamAndOtherSeedDiffers()
    {
        var a = new DegradationRandom(5);
        var b = new DegradationRandom(5);
        var c = new DegradationRandom(6);
        var sa = Enumerable.Range(0, 20).Select(_ => a.NextDouble()).ToArray();
        CollectionAssert.AreEqual(sa, Enumerable.Range(0, 20).Select(_ => b.NextDouble()).ToArray());
        CollectionAssert.AreNotEqual(sa, Enumerable.Range(0, 20).Select(_ => c.NextDouble()).ToArray());
        Assert.IsTrue(sa.All(v => v >= 0 && v < 1));
    }

    [TestMethod]
    public void WeightedIndex_KernelProbabilities_FrequenciesMatch()
    {
        double[] prob = [0.45, 0.25, 0.12, 0.03, 0.12, 0.03];
        var rng = new DegradationRandom(3);
        const int n = 40000;
        var counts = new int[prob.Length];
        for (int i = 0; i < n; i++) counts[rng.WeightedIndex(prob)]++;
        for (int i = 0; i < prob.Length; i++)
        {
            double sd = Math.Sqrt(prob[i] * (1 - prob[i]) / n);
            Assert.AreEqual(prob[i], counts[i] / (double)n, 4.5 * sd, $"index {i}");
        }
    }

    [TestMethod]
    public void WeightedIndex_ZeroWeightsAreNeverPicked_NegativeThrows()
    {
        var rng = new DegradationRandom(1);
        for (int i = 0; i < 1000; i++) Assert.AreEqual(1, rng.WeightedIndex([0.0, 2.0, 0.0]));
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => rng.WeightedIndex([1.0, -1.0]));
    }
}
