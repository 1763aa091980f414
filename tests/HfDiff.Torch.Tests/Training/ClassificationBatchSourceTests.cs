using HfDiff.Torch.Data.Classification;
using HfDiff.Torch.Tests.Data;
using HfDiff.Torch.Training.InnPretraining;
using TorchSharp;

namespace HfDiff.Torch.Tests.Training;

[TestClass]
public class ClassificationBatchSourceTests
{
    static ClassificationBatchLoader Loader(SyntheticClassFolders data) => new(new ImageClassificationFolder(data.Train),
        new ClassificationLoaderOptions { BatchSize = 4, Shuffle = true, Seed = 7, Workers = 1, PrefetchBatches = 1 },
        new ClassificationTransformOptions { CropSize = 16 }, ClassificationTransformMode.Train);

    [TestMethod]
    public void Next_AcrossEpochs_EqualsLoaderBatches_RestoreContinuesWithTheSameBatch()
    {
        // 10 images, batch 4: batches of 4, 4, 2 per epoch; positions count batches over epochs.
        using var data = new SyntheticClassFolders(trainPerClass: 5, valPerClass: 1, size: 16);
        var loader = Loader(data);
        using var source = new ClassificationBatchSource(loader);
        Assert.IsTrue(source.PartialBatches);
        var rows = new List<long>();
        var positions = new List<long>();
        torch.Tensor? fifth = null;
        for (int i = 0; i < 6; i++)
        {
            var (images, labels) = source.Next();
            rows.Add(images.shape[0]);
            positions.Add(source.Position);
            using var expected = loader.LoadBatch(i / 3, i % 3)!;
            Assert.IsTrue(images.allclose(expected.Images, 0, 0), $"batch {i}");
            Assert.IsTrue(labels.allclose(expected.Labels, 0, 0), $"labels {i}");
            if (i == 4) fifth = images.clone();
            images.Dispose();
            labels.Dispose();
        }
        CollectionAssert.AreEqual(new long[] { 4, 4, 2, 4, 4, 2 }, rows);
        CollectionAssert.AreEqual(new long[] { 1, 2, 3, 4, 5, 6 }, positions);
        Assert.AreEqual((2, 0), (source.Epoch, source.NextBatch));

        // A fresh source restored to position 4 (epoch 1, batch 1) delivers the fifth batch again.
        using var resumed = new ClassificationBatchSource(Loader(data));
        resumed.Restore(4);
        Assert.AreEqual((1, 1), (resumed.Epoch, resumed.NextBatch));
        var (again, againLabels) = resumed.Next();
        using (again) using (againLabels) using (fifth)
            Assert.IsTrue(again.allclose(fifth!, 0, 0));
        Assert.AreEqual(5L, resumed.Position);
    }
}
