using HfDiff.Torch.Archs.HfDiff;
using HfDiff.Torch.Data.Classification;
using HfDiff.Torch.Tests.Data;
using HfDiff.Torch.Training.InnPretraining;
using HfDiff.Torch.Weights;
using TorchSharp;

namespace HfDiff.Torch.Tests.Training;

[TestClass]
public class InnPretrainingCheckpointTests
{
    static int _threads;

    [ClassInitialize]
    public static void SingleThread(TestContext _) { _threads = torch.get_num_threads(); torch.set_num_threads(1); }

    [ClassCleanup]
    public static void RestoreThreads() => torch.set_num_threads(_threads);

    static InnPretrainingOptions Options(SyntheticClassFolders data, string output) => new()
    {
        TrainFolder = data.Train,
        OutputFolder = output,
        Extractor = new HfDiffInnFeatureExtractorOptions { Channels = 4, NumNodes = 1, StemDepth = 0, NumClasses = 2 },
        Transform = new ClassificationTransformOptions { CropSize = 16 },
        BatchSize = 4,
        Epochs = 1,
        CheckpointEvery = 1,
        KeepCheckpoints = 2,
        DataWorkers = 1,
    };

    [TestMethod]
    public void Train_CheckpointEveryIteration_KeepsNewestAndLeavesNoTempFiles()
    {
        using var data = new SyntheticClassFolders(trainPerClass: 6, valPerClass: 1, size: 16);
        var output = Path.Combine(Path.GetTempPath(), "hfdiff-ckpt-" + Guid.NewGuid().ToString("N"));
        try
        {
            using var trainer = new InnPretrainer(Options(data, output));
            var result = trainer.Train();
            Assert.AreEqual(3, result.Iterations);
            var files = InnPretrainingCheckpoint.List(output);
            CollectionAssert.AreEqual(new[] { InnPretrainingCheckpoint.PathFor(output, 3), InnPretrainingCheckpoint.PathFor(output, 2) }, files.ToArray());
            Assert.AreEqual(0, Directory.GetFiles(output, "*.tmp", SearchOption.AllDirectories).Length);
            var state = InnPretrainingCheckpoint.ReadState(files[0]);
            Assert.AreEqual((3L, 1, 0), (state.Iteration, state.Epoch, state.NextBatch));
            Assert.AreEqual("4", state.Settings["BatchSize"]);
            Assert.AreEqual("12", state.Settings["TrainImages"]);
            // The checkpoint's weights equal the final weights file.
            using var fromCheckpoint = new HfDiffInnFeatureExtractor(trainer.Options.Extractor);
            using var fromWeights = new HfDiffInnFeatureExtractor(trainer.Options.Extractor);
            InnPretrainingCheckpoint.LoadModel(files[0], fromCheckpoint);
            fromWeights.LoadWeights(result.WeightsPath);
            foreach (var (name, p) in fromCheckpoint.state_dict()) Assert.IsTrue(p.allclose(fromWeights.state_dict()[name], 0, 0), name);
        }
        finally { Directory.Delete(output, true); }
    }

    [TestMethod]
    public void Train_NewestCheckpointBroken_ResumesFromOlderOne_AllBroken_ThrowsNamingFiles()
    {
        using var data = new SyntheticClassFolders(trainPerClass: 6, valPerClass: 1, size: 16);
        var output = Path.Combine(Path.GetTempPath(), "hfdiff-ckpt-" + Guid.NewGuid().ToString("N"));
        try
        {
            var options = Options(data, output);
            using (var t = new InnPretrainer(options)) t.Train();
            var newest = InnPretrainingCheckpoint.PathFor(output, 3);
            File.WriteAllBytes(newest, File.ReadAllBytes(newest)[..100]); // truncated (not something an atomic write leaves, but disks fail)
            InnPretrainingResult resumed;
            using (var t = new InnPretrainer(options with { Epochs = 2, CheckpointEvery = 0 })) resumed = t.Train();
            Assert.AreEqual(2L, resumed.ResumedFromIteration);
            Assert.AreEqual(6L, resumed.Iterations);

            foreach (var f in InnPretrainingCheckpoint.List(output)) File.WriteAllText(f, "garbage");
            using var broken = new InnPretrainer(options with { Epochs = 3 });
            var e = Assert.ThrowsExactly<InvalidDataException>(() => broken.Train());
            StringAssert.Contains(e.Message, "No readable checkpoint");
            StringAssert.Contains(e.Message, InnPretrainingCheckpoint.List(output)[0]);
            Assert.ThrowsExactly<CheckpointFormatException>(() => InnPretrainingCheckpoint.ReadState(InnPretrainingCheckpoint.List(output)[0]));
        }
        finally { Directory.Delete(output, true); }
    }
}
