using System.Runtime;
using HfDiff.Torch.Training.Core;

namespace HfDiff.Torch.Tests.Training;

[TestClass]
public class NoGcIterationTests
{
    static object?[] _keep = [];

    [TestMethod]
    public void Enter_NoCollectionInsideTheBudget_AndLeavesTheRegionOnDispose()
    {
        var outer = NoGcIteration.Enter(16L << 20);
        using (var region = outer)
        {
            Assert.IsTrue(region.Started, "the runtime refused a 16 MiB no-GC region");
            int before = GC.CollectionCount(0);
            _keep = Enumerable.Range(0, 20_000).Select(i => (object?)new byte[100]).ToArray();   // ~2.5 MB of small objects
            Assert.AreEqual(before, GC.CollectionCount(0), "a collection ran inside the region");
            Assert.AreEqual(GCLatencyMode.NoGCRegion, GCSettings.LatencyMode);
            using var nested = NoGcIteration.Enter();
            Assert.IsFalse(nested.Started, "a region inside a region is not entered");
        }
        Assert.AreNotEqual(GCLatencyMode.NoGCRegion, GCSettings.LatencyMode);
        Assert.IsTrue(outer.Held, "the region lasted to its end");
        _keep = [];
    }

    [TestMethod]
    public void Dispose_AfterTheBudgetWasExceeded_DoesNotThrow()
    {
        var region = NoGcIteration.Enter(1L << 20);
        if (!region.Started) Assert.Inconclusive("the runtime refused a 1 MiB no-GC region");
        _keep = Enumerable.Range(0, 64).Select(i => (object?)new byte[1 << 20]).ToArray();   // 64 MiB: the region ends early
        region.Dispose();
        region.Dispose();
        Assert.AreNotEqual(GCLatencyMode.NoGCRegion, GCSettings.LatencyMode);
        Assert.IsFalse(region.Held, "a collection ended the region early");
        _keep = [];
    }
}
