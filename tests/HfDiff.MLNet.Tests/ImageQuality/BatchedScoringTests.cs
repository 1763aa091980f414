using System.Collections.Concurrent;
using HfDiff.MLNet;
using HfDiff.MLNet.ImageQuality;
using HfDiff.Tests.Common;
using HfDiff.Torch.Metrics;
using Microsoft.ML;
using Microsoft.ML.Data;
using static TorchSharp.torch;

namespace HfDiff.MLNet.Tests.ImageQuality;

/// <summary>
/// Batched scoring inside the ML.NET scorer: rows are read ahead and handed to <see cref="IImageQualityMetric.ScoreBatch"/>
/// in groups of the configured size, with the same scores as row-by-row scoring, also after Save/Load.
/// </summary>
[TestClass]
public class BatchedScoringTests
{
    public sealed class PathPair { public string Sr { get; set; } = ""; public string Gt { get; set; } = ""; }
    public sealed class ScoreRow { public float Score { get; set; } }

    const string Recorder = "test-batch-recorder";

    /// <summary>A full-reference test metric (mean absolute difference) that records the size of every batch it is given.</summary>
    sealed class RecordingMetric : IImageQualityMetric
    {
        public static readonly ConcurrentQueue<int> Batches = new();
        public string Name => Recorder;
        public MetricMode Mode => MetricMode.FullReference;
        public bool LowerIsBetter => true;
        public double Score(Tensor distorted, Tensor? reference = null) => (distorted - reference!).abs().mean().item<float>();
        public IReadOnlyList<double> ScoreBatch(IReadOnlyList<Tensor> distorted, IReadOnlyList<Tensor>? references = null)
        {
            Batches.Enqueue(distorted.Count);
            return distorted.Select((d, i) => Score(d, references![i])).ToList();
        }
        public void Dispose() { }
    }

    [ClassInitialize]
    public static void RegisterRecorder(TestContext _) =>
        MetricRegistry.Add<PsnrOptions>(Recorder, MetricMode.FullReference, true, (_, _) => new RecordingMetric(), () => new PsnrOptions());

    static string Samples => Path.Combine(TestPaths.RepositoryRoot() ?? throw new AssertFailedException("repository root not found"), "data", "samples");

    /// <summary>Seven pairs: the bundled samples repeated, each sr paired with a different gt so that the scores differ.</summary>
    static List<PathPair> Pairs()
    {
        var names = Directory.GetFiles(Path.Combine(Samples, "sr"), "*.png").Select(Path.GetFileName).Order(StringComparer.Ordinal).ToArray();
        Assert.IsGreaterThanOrEqualTo(3, names.Length, "bundled samples missing");
        return Enumerable.Range(0, 7).Select(i => new PathPair
        {
            Sr = Path.Combine(Samples, "sr", names[i % names.Length]!),
            Gt = Path.Combine(Samples, "gt", names[(i + i / names.Length) % names.Length]!),
        }).ToList();
    }

    static ImageQualityEstimator RecorderScorer(MLContext ml, int batchSize) => ml.Transforms.ImageQuality.Score(new ImageQualityScorerOptions
    {
        Metric = Recorder, OutputColumnName = "Score", DistortedColumnName = "Sr", ReferenceColumnName = "Gt", BatchSize = batchSize,
    });

    static float[] RowByRowScores(List<PathPair> pairs)
    {
        using var metric = new RecordingMetric();
        return pairs.Select(p =>
        {
            using var d = Torch.Imaging.ImageIO.ReadTensor(p.Sr);
            using var r = Torch.Imaging.ImageIO.ReadTensor(p.Gt);
            return (float)metric.Score(d, r);
        }).ToArray();
    }

    static int[] TakeBatches()
    {
        var sizes = RecordingMetric.Batches.ToArray();
        RecordingMetric.Batches.Clear();
        return sizes;
    }

    [TestMethod]
    public void Transform_BatchSize3_ScoresInBatchesOf3WithRowByRowValues()
    {
        var ml = new MLContext(seed: 1);
        var pairs = Pairs();
        var data = ml.Data.LoadFromEnumerable(pairs);
        TakeBatches();
        var scores = RecorderScorer(ml, 3).Fit(data).Transform(data).GetColumn<float>("Score").ToArray();
        CollectionAssert.AreEqual(new[] { 3, 3, 1 }, TakeBatches());
        var expected = RowByRowScores(pairs);
        CollectionAssert.AreEqual(expected, scores);
        Assert.IsGreaterThan(1, expected.Distinct().Count(), "test pairs must give different scores");
    }

    [TestMethod]
    public void Transform_ScoreColumnNotRead_ScoresNothing()
    {
        var ml = new MLContext(seed: 1);
        var data = ml.Data.LoadFromEnumerable(Pairs());
        TakeBatches();
        var names = RecorderScorer(ml, 4).Fit(data).Transform(data).GetColumn<string>("Sr").ToArray();
        Assert.HasCount(7, names);
        Assert.IsEmpty(TakeBatches());
    }

    [TestMethod]
    public void ModelLoad_PlainIsRowByRow_LoadWithBatchedScoringBatchesAgain()
    {
        var ml = new MLContext(seed: 1);
        var pairs = Pairs();
        var data = ml.Data.LoadFromEnumerable(pairs);
        var model = ml.Transforms.ImageQuality.Psnr("Psnr", "Sr", "Gt").Append(RecorderScorer(ml, 4)).Fit(data);
        var before = model.Transform(data).GetColumn<float>("Score").ToArray();
        var path = Path.Combine(Path.GetTempPath(), $"hfdiff-batched-{Guid.NewGuid():N}.zip");
        try
        {
            ml.Model.Save(model, data.Schema, path);
            TakeBatches();
            var plain = new MLContext(seed: 2).Model.Load(path, out _).Transform(data).GetColumn<float>("Score").ToArray();
            Assert.IsEmpty(TakeBatches(), "a plainly loaded model scores row by row");
            var batched = new MLContext(seed: 2).Model.LoadWithBatchedScoring(path, out _);
            var again = batched.Transform(data);
            var after = again.GetColumn<float>("Score").ToArray();
            CollectionAssert.AreEqual(new[] { 4, 3 }, TakeBatches());
            CollectionAssert.AreEqual(before, plain);
            CollectionAssert.AreEqual(before, after);
            CollectionAssert.AreEqual(model.Transform(data).GetColumn<float>("Psnr").ToArray(), again.GetColumn<float>("Psnr").ToArray());
        }
        finally { File.Delete(path); }
    }

    [TestMethod]
    public void PsnrAndSsim_BatchedPathsAndImages_EqualRowByRow()
    {
        var ml = new MLContext(seed: 1);
        var paths = ml.Data.LoadFromEnumerable(Pairs());
        var images = ml.Transforms.LoadImages("SrImage", null, "Sr").Append(ml.Transforms.LoadImages("GtImage", null, "Gt")).Fit(paths).Transform(paths);
        foreach (var (view, sr, gt) in new[] { (paths, "Sr", "Gt"), (images, "SrImage", "GtImage") })
            foreach (var metric in new[] { "psnr", "ssim" })
            {
                float[] Run(int batch) => ml.Transforms.ImageQuality.Score(new ImageQualityScorerOptions
                {
                    Metric = metric, OutputColumnName = "S", DistortedColumnName = sr, ReferenceColumnName = gt, BatchSize = batch,
                }).Fit(view).Transform(view).GetColumn<float>("S").ToArray();
                CollectionAssert.AreEqual(Run(1), Run(5), $"{metric} on {sr}");
            }
    }

    [TestMethod]
    public void Transform_BadFileInBatch_ThrowsTheFileError()
    {
        var ml = new MLContext(seed: 1);
        var pairs = Pairs();
        pairs[1].Sr = Path.Combine(Samples, "does-not-exist.png");
        var data = ml.Data.LoadFromEnumerable(pairs);
        var scored = RecorderScorer(ml, 4).Fit(data).Transform(data);
        var e = Assert.Throws<Exception>(() => scored.GetColumn<float>("Score").ToArray());
        var chain = new List<Exception>();
        for (Exception? x = e; x is not null; x = x.InnerException) chain.Add(x);
        var decode = chain.OfType<Torch.Imaging.ImageDecodeException>().SingleOrDefault();
        Assert.IsNotNull(decode, string.Join(" | ", chain.Select(x => x.GetType().Name + ": " + x.Message)));
        StringAssert.Contains(decode.Message, "does-not-exist.png");
    }

    [TestMethod]
    public void PredictionEngine_BatchedScorer_ScoresOneRow()
    {
        var ml = new MLContext(seed: 1);
        var pairs = Pairs();
        var model = RecorderScorer(ml, 4).Fit(ml.Data.LoadFromEnumerable(pairs));
        var engine = ml.Model.CreatePredictionEngine<PathPair, ScoreRow>(model);
        Assert.AreEqual(RowByRowScores(pairs)[2], engine.Predict(pairs[2]).Score);
    }

    [TestMethod]
    public void Score_BatchSizeZeroOrUnavailableDevice_ThrowsNamingIt()
    {
        var ml = new MLContext();
        var e = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => RecorderScorer(ml, 0));
        StringAssert.Contains(e.Message, "BatchSize");
        if (TorchSharp.torch.cuda.is_available()) return;
        var d = Assert.ThrowsExactly<ArgumentException>(() => ml.Transforms.ImageQuality.Score(new ImageQualityScorerOptions
        {
            Metric = "psnr", DistortedColumnName = "Sr", ReferenceColumnName = "Gt", Device = "cuda:0",
        }));
        StringAssert.Contains(d.Message, "CUDA is not available");
        // MLContext.GpuDeviceId with FallbackToCpu runs on the CPU instead.
        var gpu = new MLContext { GpuDeviceId = 0, FallbackToCpu = true };
        var data = gpu.Data.LoadFromEnumerable(Pairs());
        var scores = gpu.Transforms.ImageQuality.Psnr("P", "Sr", "Gt").Fit(data).Transform(data).GetColumn<float>("P").ToArray();
        Assert.HasCount(7, scores);
    }
}
