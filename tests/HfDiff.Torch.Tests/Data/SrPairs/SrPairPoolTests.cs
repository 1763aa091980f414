using HfDiff.Torch.Data.SrPairs;
using static TorchSharp.torch;

namespace HfDiff.Torch.Tests.Data.SrPairs;

[TestClass]
public class SrPairPoolTests
{
    /// <summary>A batch whose every value is its sample id, so pooled samples can be traced.</summary>
    static SrPairBatch Batch(int first, int count, int index) => new(
        cat(Enumerable.Range(first, count).Select(id => full(1, 3, 2, 2, (float)id)).ToArray(), 0),
        cat(Enumerable.Range(first, count).Select(id => full(1, 3, 8, 8, (float)id)).ToArray(), 0),
        cat(Enumerable.Range(first, count).Select(id => full(1, 3, 8, 8, (float)id + 0.5f)).ToArray(), 0),
        Enumerable.Range(first, count).Select(id => $"img{id}").ToArray(), 0, index);

    static int[] Ids(SrPairBatch b) => Enumerable.Range(0, b.Count).Select(i => (int)b.Gt[i, 0, 0, 0].item<float>()).ToArray();

    [TestMethod]
    public void Exchange_WhileFilling_PassesBatchesThrough()
    {
        using var pool = new SrPairPool(queueSize: 4, seed: 1);
        var first = Batch(0, 2, 0);
        using var out0 = pool.Exchange(first);
        Assert.AreSame(first, out0);
        using var out1 = pool.Exchange(Batch(2, 2, 1));
        CollectionAssert.AreEqual(new[] { 2, 3 }, Ids(out1));
        Assert.AreEqual(4, pool.Count);
    }

    [TestMethod]
    public void Exchange_WhenFull_ReturnsPooledSamplesWithTheirPathsAndUsm()
    {
        using var pool = new SrPairPool(queueSize: 4, seed: 1);
        pool.Exchange(Batch(0, 2, 0)).Dispose();
        pool.Exchange(Batch(2, 2, 1)).Dispose();
        var seen = new List<int>();
        for (int k = 2; k < 6; k++)
        {
            using var outK = pool.Exchange(Batch(2 * k, 2, k));
            var ids = Ids(outK);
            Assert.IsTrue(ids.All(id => id < 2 * k), $"step {k}: pooled samples come from earlier batches; got [{string.Join(", ", ids)}]");
            CollectionAssert.AreEqual(ids.Select(id => $"img{id}").ToArray(), outK.Paths.ToArray());
            for (int i = 0; i < ids.Length; i++)
                Assert.AreEqual(ids[i] + 0.5f, outK.GtUsm[i, 0, 0, 0].item<float>());
            Assert.AreEqual(k, outK.Index);
            seen.AddRange(ids);
        }
        Assert.AreEqual(4, pool.Count);
        Assert.AreEqual(seen.Count, seen.Distinct().Count(), "each sample leaves the pool once");
    }

    [TestMethod]
    public void Exchange_SameSeed_SameSequence()
    {
        int[][] Run(long seed)
        {
            using var pool = new SrPairPool(queueSize: 6, seed: seed);
            var result = new List<int[]>();
            for (int k = 0; k < 8; k++)
                using (var o = pool.Exchange(Batch(2 * k, 2, k))) result.Add(Ids(o));
            return result.ToArray();
        }
        var a = Run(5);
        var b = Run(5);
        var c = Run(6);
        for (int i = 0; i < a.Length; i++) CollectionAssert.AreEqual(a[i], b[i]);
        Assert.IsFalse(a.Zip(c).All(p => p.First.SequenceEqual(p.Second)), "another seed shuffles differently");
    }

    [TestMethod]
    public void Exchange_BatchSizeNotDividingQueue_ThrowsNamingBoth()
    {
        using var pool = new SrPairPool(queueSize: 180, seed: 0);
        var e = Assert.ThrowsExactly<ArgumentException>(() => pool.Exchange(Batch(0, 32, 0)));
        StringAssert.Contains(e.Message, "180");
        StringAssert.Contains(e.Message, "32");
    }

    [TestMethod]
    public void Constructor_BadQueueSize_Throws()
    {
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => new SrPairPool(queueSize: 0));
    }
}
