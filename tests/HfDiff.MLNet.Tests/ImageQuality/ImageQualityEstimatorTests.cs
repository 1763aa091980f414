using HfDiff.MLNet;
using HfDiff.MLNet.Tests.Common;
using HfDiff.MLNet.ImageQuality;
using HfDiff.MLNet.Imaging;
using HfDiff.Tests.Common;
using HfDiff.Torch.Imaging;
using HfDiff.Torch.Metrics;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Transforms.Image;

namespace HfDiff.MLNet.Tests.ImageQuality;

[TestClass]
public class ImageQualityEstimatorTests
{
    public sealed class PathPair { public string Sr { get; set; } = ""; public string Gt { get; set; } = ""; }
    public sealed class ImagePair { [ImageType(128, 128)] public MLImage? Sr { get; set; } [ImageType(128, 128)] public MLImage? Gt { get; set; } }
    public sealed class NumberRow { public float Sr { get; set; } public string Gt { get; set; } = ""; }

    static string Samples => Path.Combine(TestPaths.RepositoryRoot() ?? throw new AssertFailedException("repository root not found"), "data", "samples");

    static List<PathPair> Pairs() => Directory.GetFiles(Path.Combine(Samples, "sr"), "*.png").OrderBy(p => p, StringComparer.Ordinal)
        .Select(sr => new PathPair { Sr = sr, Gt = Path.Combine(Samples, "gt", Path.GetFileName(sr)) }).ToList();

    static double Direct(string metric, string sr, string gt, PsnrOptions? psnr = null, SsimOptions? ssim = null)
    {
        using var d = ImageIO.ReadTensor(sr);
        using var r = ImageIO.ReadTensor(gt);
        return metric == "psnr" ? Psnr.Compute(d, r, psnr) : Ssim.Compute(d, r, ssim);
    }

    [TestMethod]
    public void Psnr_PathColumns_EqualsTorchMetricPerRow()
    {
        var ml = new MLContext(seed: 1);
        var pairs = Pairs();
        Assert.IsTrue(pairs.Count >= 2, "bundled samples missing");
        var data = ml.Data.LoadFromEnumerable(pairs);
        var scored = ml.Transforms.ImageQuality.Psnr("Psnr", "Sr", "Gt", testYChannel: true, colorSpace: "ycbcr", cropBorder: 4).Fit(data).Transform(data);
        var got = scored.GetColumn<float>("Psnr").ToArray();
        var opts = new PsnrOptions { TestYChannel = true, ColorSpace = YChannelColorSpace.YCbCr, CropBorder = 4 };
        for (int i = 0; i < pairs.Count; i++)
            Assert.AreEqual((float)Direct("psnr", pairs[i].Sr, pairs[i].Gt, psnr: opts), got[i], 0f, pairs[i].Sr);
        CollectionAssert.DoesNotContain(scored.Schema.Select(c => c.Name).ToList(), "__hfdiff_score");
    }

    [TestMethod]
    public void Ssim_ImageColumns_EqualPathColumns()
    {
        var ml = new MLContext(seed: 1);
        var pairs = Pairs();
        var paths = ml.Data.LoadFromEnumerable(pairs);
        // The usual ML.NET way to get image columns: LoadImages over path columns (images of any size).
        var images = ml.Transforms.LoadImages("SrImage", null, "Sr").Append(ml.Transforms.LoadImages("GtImage", null, "Gt")).Fit(paths).Transform(paths);
        var fromPaths = ml.Transforms.ImageQuality.Ssim("Ssim", "Sr", "Gt").Fit(paths).Transform(paths).GetColumn<float>("Ssim").ToArray();
        var fromImages = ml.Transforms.ImageQuality.Ssim("Ssim", "SrImage", "GtImage").Fit(images).Transform(images).GetColumn<float>("Ssim").ToArray();
        CollectionAssert.AreEqual(fromPaths, fromImages);
        Assert.AreEqual((float)Direct("ssim", pairs[0].Sr, pairs[0].Gt), fromPaths[0], 0f);
    }

    [TestMethod]
    public void Score_SizedImageColumnsFromEnumerable_EqualPathColumns()
    {
        var ml = new MLContext();
        var pairs = Pairs();
        // [ImageType(128, 128)] gives image columns of a fixed size, as ResizeImages does.
        var sized = ml.Data.LoadFromEnumerable(pairs.Select(p => new ImagePair { Sr = MLImage.CreateFromFile(p.Sr), Gt = MLImage.CreateFromFile(p.Gt) }).ToList());
        Assert.AreEqual(new ImageDataViewType(128, 128), sized.Schema["Sr"].Type);
        var fromSized = ml.Transforms.ImageQuality.Ssim("Ssim", "Sr", "Gt").Fit(sized).Transform(sized).GetColumn<float>("Ssim").ToArray();
        var paths = ml.Data.LoadFromEnumerable(pairs);
        var fromPaths = ml.Transforms.ImageQuality.Ssim("Ssim", "Sr", "Gt").Fit(paths).Transform(paths).GetColumn<float>("Ssim").ToArray();
        CollectionAssert.AreEqual(fromPaths, fromSized);
    }

    [TestMethod]
    public void Score_ResizeImagesColumns_AcceptedScoredAsTheirPixelsAndSurviveSaveLoad()
    {
        var ml = new MLContext(seed: 1);
        var pairs = Pairs();
        var paths = ml.Data.LoadFromEnumerable(pairs);
        var resize = ml.Transforms.LoadImages("SrImage", null, "Sr").Append(ml.Transforms.LoadImages("GtImage", null, "Gt"))
            .Append(ml.Transforms.ResizeImages("SrSized", imageWidth: 96, imageHeight: 80, inputColumnName: "SrImage"))
            .Append(ml.Transforms.ResizeImages("GtSized", imageWidth: 96, imageHeight: 80, inputColumnName: "GtImage"));
        var scorers = ml.Transforms.ImageQuality.Psnr("Psnr", "SrSized", "GtSized", testYChannel: true, colorSpace: "ycbcr")
            .Append(ml.Transforms.ImageQuality.Ssim("Ssim", "SrSized", "GtSized"));
        var resized = resize.Fit(paths).Transform(paths);
        Assert.AreEqual(new ImageDataViewType(80, 96), resized.Schema["SrSized"].Type);
        // The estimators' schema propagation accepts the sized columns too.
        var shape = scorers.GetOutputSchema(resize.GetOutputSchema(TestData.ShapeOf(paths)));
        Assert.IsTrue(shape.Any(c => c.Name == "Ssim"));

        var model = resize.Append(scorers).Fit(paths);
        var scored = model.Transform(paths);
        var psnr = scored.GetColumn<float>("Psnr").ToArray();
        var ssim = scored.GetColumn<float>("Ssim").ToArray();
        var sr = TestData.Images(scored, "SrSized");
        var gt = TestData.Images(scored, "GtSized");
        for (int i = 0; i < pairs.Count; i++)
        {
            Assert.AreEqual(96, sr[i].Width); Assert.AreEqual(80, sr[i].Height);
            using var d = MLImageTensor.ToTensor(sr[i]);
            using var r = MLImageTensor.ToTensor(gt[i]);
            Assert.AreEqual((float)Psnr.Compute(d, r, new PsnrOptions { TestYChannel = true, ColorSpace = YChannelColorSpace.YCbCr }), psnr[i], 0f, $"psnr row {i}");
            Assert.AreEqual((float)Ssim.Compute(d, r), ssim[i], 0f, $"ssim row {i}");
        }

        var path = Path.Combine(Path.GetTempPath(), $"hfdiff-iqsized-{Guid.NewGuid():N}.zip");
        ml.Model.Save(model, null, path);
        var reloaded = new MLContext().Model.Load(path, out _).Transform(paths).GetColumn<float>("Psnr").ToArray();
        File.Delete(path);
        CollectionAssert.AreEqual(psnr, reloaded);
    }

    /// <summary>
    /// A model loaded in a new process has not registered its fixed image sizes with ML.NET yet; LoadWithBatchedScoring
    /// does it from the saved input schema (sizes no other test uses, so nothing registered them before).
    /// </summary>
    [TestMethod]
    public void LoadWithBatchedScoring_RegistersTheFixedImageSizesOfTheModel()
    {
        static bool Known(int h, int w) => (bool)typeof(DataViewTypeManager)
            .GetMethod("Knows", System.Reflection.BindingFlags.Static | System.Reflection.BindingFlags.Public | System.Reflection.BindingFlags.NonPublic, [typeof(DataViewType)])!
            .Invoke(null, [new ImageDataViewType(h, w)])!;
        var ml = new MLContext();
        var paths = ml.Data.LoadFromEnumerable(Pairs());
        var model = ml.Transforms.LoadImages("SrImage", null, "Sr").Append(ml.Transforms.ResizeImages("SrSized", imageWidth: 77, imageHeight: 53, inputColumnName: "SrImage"))
            .Append(ml.Transforms.ResizeImages("SrSmall", imageWidth: 41, imageHeight: 39, inputColumnName: "SrSized")).Fit(paths);
        Assert.IsFalse(Known(53, 77), "53×77 registered before the test");
        var path = Path.Combine(Path.GetTempPath(), $"hfdiff-sizes-{Guid.NewGuid():N}.zip");
        ml.Model.Save(model, paths.Schema, path);
        try { ml.Model.LoadWithBatchedScoring(path, out _); }
        finally { File.Delete(path); }
        Assert.IsTrue(Known(53, 77));
        Assert.IsTrue(Known(39, 41));
    }

    [TestMethod]
    public void ModelSaveLoad_ImageColumns_IdenticalOutputs()
    {
        var ml = new MLContext(seed: 1);
        var paths = ml.Data.LoadFromEnumerable(Pairs());
        var pipeline = ml.Transforms.LoadImages("SrImage", null, "Sr").Append(ml.Transforms.LoadImages("GtImage", null, "Gt"))
            .Append(ml.Transforms.ImageQuality.Psnr("Psnr", "SrImage", "GtImage"));
        var model = pipeline.Fit(paths);
        var before = model.Transform(paths).GetColumn<float>("Psnr").ToArray();
        var path = Path.Combine(Path.GetTempPath(), $"hfdiff-iqimg-{Guid.NewGuid():N}.zip");
        ml.Model.Save(model, null, path); // ML.NET cannot serialise an input schema holding image columns; ours has none, but null is the documented pattern
        var after = new MLContext(seed: 3).Model.Load(path, out _).Transform(paths).GetColumn<float>("Psnr").ToArray();
        CollectionAssert.AreEqual(before, after);
        File.Delete(path);
    }

    [TestMethod]
    public void ModelSaveLoad_PipelineWithTwoScorers_IdenticalOutputs()
    {
        var ml = new MLContext(seed: 1);
        var data = ml.Data.LoadFromEnumerable(Pairs());
        var model = ml.Transforms.ImageQuality.Psnr("Psnr", "Sr", "Gt", cropBorder: 2)
            .Append(ml.Transforms.ImageQuality.Ssim("Ssim", "Sr", "Gt", testYChannel: false))
            .Fit(data);
        var before = model.Transform(data);
        var path = Path.Combine(Path.GetTempPath(), $"hfdiff-iq-{Guid.NewGuid():N}.zip");
        ml.Model.Save(model, data.Schema, path);

        var ml2 = new MLContext(seed: 2);
        var loaded = ml2.Model.Load(path, out _);
        var after = loaded.Transform(data);
        foreach (var col in new[] { "Psnr", "Ssim" })
            CollectionAssert.AreEqual(before.GetColumn<float>(col).ToArray(), after.GetColumn<float>(col).ToArray(), col);
        File.Delete(path);
    }

    [TestMethod]
    public void Evaluate_ReturnsMeanAndPerRow()
    {
        var ml = new MLContext(seed: 1);
        var data = ml.Data.LoadFromEnumerable(Pairs());
        var scored = ml.Transforms.ImageQuality.Psnr("Psnr", "Sr", "Gt").Append(ml.Transforms.ImageQuality.Ssim("Ssim", "Sr", "Gt")).Fit(data).Transform(data);
        var metrics = ml.ImageQuality.Evaluate(scored, "Psnr", "Ssim");
        var psnr = scored.GetColumn<float>("Psnr").Select(v => (double)v).ToList();
        Assert.AreEqual(psnr.Count, metrics.RowCount);
        CollectionAssert.AreEqual(psnr, metrics.PerRow["Psnr"].ToList());
        Assert.AreEqual(psnr.Average(), metrics.Mean["Psnr"], 1e-12);
        Assert.IsTrue(metrics.Mean["Ssim"] is > 0 and < 1, $"mean SSIM {metrics.Mean["Ssim"]}");
    }

    [TestMethod]
    public void Fit_MissingColumn_ThrowsCouldNotFind()
    {
        var ml = new MLContext();
        var data = ml.Data.LoadFromEnumerable(Pairs());
        var e = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => ml.Transforms.ImageQuality.Psnr("P", "Nope", "Gt").Fit(data));
        StringAssert.Contains(e.Message, "Could not find input column 'Nope'");
    }

    [TestMethod]
    public void Fit_NumberColumn_ThrowsSchemaMismatch()
    {
        var ml = new MLContext();
        var data = ml.Data.LoadFromEnumerable(new[] { new NumberRow { Sr = 1, Gt = "x" } });
        var e = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => ml.Transforms.ImageQuality.Psnr("P", "Sr", "Gt").Fit(data));
        StringAssert.Contains(e.Message, "Schema mismatch for input column 'Sr'");
    }

    [TestMethod]
    public void FitAndGetOutputSchema_ReferenceOfOtherKind_ThrowsSchemaMismatchNamingBothColumns()
    {
        var ml = new MLContext();
        var paths = ml.Data.LoadFromEnumerable(Pairs());
        var data = ml.Transforms.LoadImages("GtImage", null, "Gt").Fit(paths).Transform(paths);
        var estimator = ml.Transforms.ImageQuality.Psnr("P", "Sr", "GtImage");
        const string expected = "Schema mismatch for input column 'GtImage': expected String like column 'Sr', got Image";
        var fit = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => estimator.Fit(data));
        StringAssert.Contains(fit.Message, expected);
        Assert.AreEqual("inputSchema", fit.ParamName);
        var shape = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => estimator.GetOutputSchema(TestData.ShapeOf(data)));
        StringAssert.Contains(shape.Message, expected);
    }

    [TestMethod]
    public void Score_FullReferenceWithoutReferenceColumn_Throws()
    {
        var ml = new MLContext();
        var e = Assert.ThrowsExactly<ArgumentException>(() => ml.Transforms.ImageQuality.Score(new ImageQualityScorerOptions { Metric = "psnr", DistortedColumnName = "Sr" }));
        StringAssert.Contains(e.Message, "ReferenceColumnName");
    }

    [TestMethod]
    public void Score_UnknownMetric_ThrowsNamingIt()
    {
        var ml = new MLContext();
        var e = Assert.ThrowsExactly<ArgumentException>(() => ml.Transforms.ImageQuality.Score(new ImageQualityScorerOptions { Metric = "bogus", DistortedColumnName = "Sr" }));
        StringAssert.Contains(e.Message, "bogus");
    }

    [TestMethod]
    public void Transform_MissingImageFile_ErrorNamesFile()
    {
        var ml = new MLContext();
        var pairs = Pairs();
        pairs[0].Sr = Path.Combine(Samples, "does-not-exist.png");
        var data = ml.Data.LoadFromEnumerable(pairs);
        var scored = ml.Transforms.ImageQuality.Psnr("P", "Sr", "Gt").Fit(data).Transform(data);
        var e = Assert.Throws<Exception>(() => scored.GetColumn<float>("P").ToArray());
        var all = string.Join(" | ", Flatten(e).Select(x => x.Message));
        StringAssert.Contains(all, "does-not-exist.png");
    }

    static IEnumerable<Exception> Flatten(Exception e)
    {
        for (Exception? x = e; x is not null; x = x.InnerException) yield return x;
    }
}
