using HfDiff.Torch.Data;
using HfDiff.Torch.Data.Classification;
using TorchSharp;

namespace HfDiff.Torch.Tests.Data;

[TestClass]
public class ClassificationBatchLoaderTests
{
    static readonly ClassificationTransformOptions Small = new() { CropSize = 16 };

    static List<(float[] Images, long[] Labels, string[] Paths, int Index)> Collect(ClassificationBatchLoader loader, int epoch, int firstBatch = 0)
    {
        var result = new List<(float[], long[], string[], int)>();
        foreach (var b in loader.EnumerateEpoch(epoch, firstBatch))
            using (b) result.Add((b.Images.data<float>().ToArray(), b.Labels.data<long>().ToArray(), b.Paths.ToArray(), b.BatchIndex));
        return result;
    }

    static void AssertSame(List<(float[] Images, long[] Labels, string[] Paths, int Index)> a, List<(float[] Images, long[] Labels, string[] Paths, int Index)> b)
    {
        Assert.AreEqual(a.Count, b.Count);
        for (int i = 0; i < a.Count; i++)
        {
            Assert.AreEqual(a[i].Index, b[i].Index);
            CollectionAssert.AreEqual(a[i].Paths, b[i].Paths);
            CollectionAssert.AreEqual(a[i].Labels, b[i].Labels);
            CollectionAssert.AreEqual(a[i].Images, b[i].Images);
        }
    }

    [TestMethod]
    public void EnumerateEpoch_SameSeedDifferentWorkers_IdenticalBatches()
    {
        using var data = new SyntheticClassFolders(trainPerClass: 7, valPerClass: 1, size: 24);
        var folder = new ImageClassificationFolder(data.Train);
        var one = new ClassificationBatchLoader(folder, new() { BatchSize = 4, Seed = 5, Workers = 1, PrefetchBatches = 1 }, Small);
        var two = new ClassificationBatchLoader(folder, new() { BatchSize = 4, Seed = 5, Workers = 2, PrefetchBatches = 3 }, Small);
        // Default: no prefetch task, one worker (on the consumer's thread).
        var sync = new ClassificationBatchLoader(folder, new() { BatchSize = 4, Seed = 5 }, Small);
        Assert.AreEqual((0, 1), (sync.Options.PrefetchBatches, sync.Options.Workers));
        var a = Collect(one, epoch: 1);
        AssertSame(a, Collect(two, epoch: 1));
        AssertSame(a, Collect(sync, epoch: 1));
        Assert.AreEqual(4, a.Count);
        CollectionAssert.AreEqual(new[] { 4, 4, 4, 2 }, a.Select(x => x.Labels.Length).ToArray());
        // Every image once per epoch, with its folder's label.
        var all = a.SelectMany(x => x.Paths.Zip(x.Labels)).ToList();
        CollectionAssert.AreEquivalent(folder.Samples.Select(s => s.Path).ToArray(), all.Select(p => p.First).ToArray());
        foreach (var (path, label) in all) Assert.AreEqual(folder.Samples.Single(s => s.Path == path).Label, (int)label);
    }

    [TestMethod]
    public void EnumerateEpoch_OtherSeedOrEpoch_DifferentOrderAndAugmentation()
    {
        using var data = new SyntheticClassFolders(trainPerClass: 8, valPerClass: 1, size: 24);
        var folder = new ImageClassificationFolder(data.Train);
        var loader = new ClassificationBatchLoader(folder, new() { BatchSize = 16, Seed = 5, Workers = 1 }, Small);
        var other = new ClassificationBatchLoader(folder, new() { BatchSize = 16, Seed = 6, Workers = 1 }, Small);
        CollectionAssert.AreNotEqual(loader.EpochOrder(0), other.EpochOrder(0));
        CollectionAssert.AreNotEqual(loader.EpochOrder(0), loader.EpochOrder(1));
        CollectionAssert.AreEqual(loader.EpochOrder(2), loader.EpochOrder(2));
        CollectionAssert.AreNotEqual(Collect(loader, 0)[0].Images, Collect(other, 0)[0].Images);
    }

    [TestMethod]
    public void EnumerateEpoch_FromMiddleBatch_EqualsTailOfFullEpoch()
    {
        using var data = new SyntheticClassFolders(trainPerClass: 6, valPerClass: 1, size: 24);
        var loader = new ClassificationBatchLoader(new ImageClassificationFolder(data.Train), new() { BatchSize = 3, Seed = 9, Workers = 2 }, Small);
        var full = Collect(loader, 2);
        var tail = Collect(loader, 2, firstBatch: 2);
        AssertSame(full.Skip(2).ToList(), tail);
        Assert.AreEqual(0, Collect(loader, 2, firstBatch: loader.BatchesPerEpoch).Count);
        var e = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => loader.EnumerateEpoch(0, loader.BatchesPerEpoch + 1));
        Assert.AreEqual("firstBatch", e.ParamName);
    }

    [TestMethod]
    public void EnumerateEpoch_CorruptFile_SkippedReportedWithPathAndCounted()
    {
        using var data = new SyntheticClassFolders(trainPerClass: 5, valPerClass: 1, size: 24);
        var bad = data.AddCorruptFile("train");
        var folder = new ImageClassificationFolder(data.Train);
        var reported = new List<SkippedImage>();
        var loader = new ClassificationBatchLoader(folder, new() { BatchSize = 4, Seed = 1, Workers = 2 }, Small, ClassificationTransformMode.Train, reported.Add);
        for (int epoch = 0; epoch < 2; epoch++)
        {
            var batches = Collect(loader, epoch);
            Assert.AreEqual(folder.Count - 1, batches.Sum(b => b.Labels.Length));
            Assert.IsFalse(batches.Any(b => b.Paths.Contains(bad)));
        }
        Assert.AreEqual(1, loader.SkippedCount);             // reported once, not once per epoch
        Assert.AreEqual(bad, reported.Single().Path);
        Assert.AreEqual(bad, loader.Skipped.Single().Path);
        StringAssert.Contains(reported[0].Reason, "not a readable image");
    }

    [TestMethod]
    public void EnumerateEpoch_ConsumerStopsEarly_NoHangAndLaterEpochsStillWork()
    {
        using var data = new SyntheticClassFolders(trainPerClass: 10, valPerClass: 1, size: 24);
        var loader = new ClassificationBatchLoader(new ImageClassificationFolder(data.Train), new() { BatchSize = 2, Seed = 1, Workers = 1, PrefetchBatches = 2 }, Small);
        foreach (var b in loader.EnumerateEpoch(0)) { b.Dispose(); break; }
        using var cts = new CancellationTokenSource();
        int seen = 0;
        Assert.ThrowsExactly<OperationCanceledException>(() =>
        {
            foreach (var b in loader.EnumerateEpoch(0, 0, cts.Token)) { b.Dispose(); if (++seen == 2) cts.Cancel(); }
        });
        Assert.AreEqual(2, seen);
        Assert.AreEqual(loader.BatchesPerEpoch, Collect(loader, 1).Count);
    }

    [TestMethod]
    public void EnumerateEpoch_EvalMode_FolderOrderAndNoRandomness()
    {
        using var data = new SyntheticClassFolders(trainPerClass: 1, valPerClass: 3, size: 20);
        var folder = new ImageClassificationFolder(data.Val);
        var a = new ClassificationBatchLoader(folder, new() { BatchSize = 4, Shuffle = false, Seed = 1 }, Small, ClassificationTransformMode.Eval);
        var b = new ClassificationBatchLoader(folder, new() { BatchSize = 4, Shuffle = false, Seed = 2 }, Small, ClassificationTransformMode.Eval);
        var ca = Collect(a, 0);
        AssertSame(ca, Collect(b, 3));
        CollectionAssert.AreEqual(folder.Samples.Select(s => s.Path).ToArray(), ca.SelectMany(x => x.Paths).ToArray());
    }

    [TestMethod]
    public void Ctor_BadOptions_ThrowNamingParameter()
    {
        using var data = new SyntheticClassFolders(trainPerClass: 1, valPerClass: 1, size: 8);
        var folder = new ImageClassificationFolder(data.Train);
        Assert.AreEqual("BatchSize", Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => new ClassificationBatchLoader(folder, new() { BatchSize = 0 })).ParamName);
        Assert.AreEqual("PrefetchBatches", Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => new ClassificationBatchLoader(folder, new() { PrefetchBatches = -1 })).ParamName);
        Assert.AreEqual("Workers", Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => new ClassificationBatchLoader(folder, new() { Workers = 0 })).ParamName);
    }
}
