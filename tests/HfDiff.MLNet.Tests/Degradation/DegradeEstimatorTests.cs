using HfDiff.MLNet;
using HfDiff.MLNet.Imaging;
using HfDiff.MLNet.Tests.Common;
using HfDiff.Tests.Common;
using HfDiff.Torch.Data.SrPairs;
using HfDiff.Torch.Degradations;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Transforms.Image;

namespace HfDiff.MLNet.Tests.Degradation;

[TestClass]
public class DegradeEstimatorTests
{
    public sealed class PathRow { public string Hr { get; set; } = ""; }
    public sealed class AnyImageRow { [AnyImage] public MLImage? Hr { get; set; } }

    static List<PathRow> Rows()
    {
        var root = TestPaths.RepositoryRoot() ?? throw new AssertFailedException("repository root not found");
        return Directory.GetFiles(Path.Combine(root, "data", "samples", "gt"), "*.png").OrderBy(p => p, StringComparer.Ordinal)
            .Select(p => new PathRow { Hr = p }).ToList();
    }

    static byte[] Pixels(MLImage m) => m.Pixels.ToArray();

    [TestMethod]
    public void Degrade_PathColumn_EqualsSrPairWriterAndSurvivesSaveLoad()
    {
        var ml = new MLContext(seed: 1);
        var rows = Rows();
        var data = ml.Data.LoadFromEnumerable(rows);
        var options = new RealEsrganDegradationOptions { JpegRange = (60, 90) };
        var model = ml.Transforms.Degrade("Lr", "Hr", "Gt", gtSize: 96, seed: 11, options: options).Fit(data);
        var scored = model.Transform(data);
        var lr = scored.GetColumn<MLImage>("Lr").ToList();
        var gt = scored.GetColumn<MLImage>("Gt").ToList();

        using var writer = new SrPairWriter(options);
        for (int i = 0; i < rows.Count; i++)
        {
            var pair = writer.DegradeFile(rows[i].Hr, SrPairSeeds.ForFile(11, Path.GetFileName(rows[i].Hr)), 96);
            Assert.AreEqual(24, lr[i].Width); Assert.AreEqual(24, lr[i].Height);
            Assert.AreEqual(96, gt[i].Width);
            CollectionAssert.AreEqual(Pixels(MLImageTensor.FromTensor(pair.Lq)), Pixels(lr[i]), $"LR row {i}");
            CollectionAssert.AreEqual(Pixels(MLImageTensor.FromTensor(pair.Gt)), Pixels(gt[i]), $"GT row {i}");
            pair.Lq.Dispose(); pair.Gt.Dispose();
        }

        var path = Path.Combine(Path.GetTempPath(), $"hfdiff-deg-{Guid.NewGuid():N}.zip");
        ml.Model.Save(model, null, path);
        var again = new MLContext(seed: 5).Model.Load(path, out _).Transform(data).GetColumn<MLImage>("Lr").ToList();
        for (int i = 0; i < rows.Count; i++) CollectionAssert.AreEqual(Pixels(lr[i]), Pixels(again[i]), $"reloaded row {i}");
        File.Delete(path);
    }

    [TestMethod]
    public void Degrade_ImageColumn_SameSeedSameOutput_DifferentSeedDiffers()
    {
        var ml = new MLContext(seed: 1);
        var data = ml.Data.LoadFromEnumerable(Rows());
        var images = ml.Transforms.LoadImages("HrImage", null, "Hr").Fit(data).Transform(data);
        List<MLImage> Run(long seed) => ml.Transforms.Degrade("Lr", "HrImage", null, gtSize: 96, seed: seed).Fit(images).Transform(images).GetColumn<MLImage>("Lr").ToList();
        var a = Run(3); var b = Run(3); var c = Run(4);
        CollectionAssert.AreEqual(Pixels(a[0]), Pixels(b[0]));
        CollectionAssert.AreNotEqual(Pixels(a[0]), Pixels(c[0]));
        Assert.AreEqual(24, a[0].Width);
    }

    [TestMethod]
    public void Degrade_ResizeImagesColumn_AcceptedAndEqualsTheSamePixelsInAnAnySizeColumn()
    {
        var ml = new MLContext(seed: 1);
        var data = ml.Data.LoadFromEnumerable(Rows());
        var resize = ml.Transforms.LoadImages("HrImage", null, "Hr").Append(ml.Transforms.ResizeImages("HrSized", imageWidth: 112, imageHeight: 104, inputColumnName: "HrImage"));
        var degrade = ml.Transforms.Degrade("Lr", "HrSized", "Gt", gtSize: 96, seed: 5);
        Assert.IsTrue(degrade.GetOutputSchema(resize.GetOutputSchema(TestData.ShapeOf(data))).Any(c => c.Name == "Lr"));
        var scored = resize.Append(degrade).Fit(data).Transform(data);
        Assert.AreEqual(new ImageDataViewType(104, 112), scored.Schema["HrSized"].Type);
        var hr = TestData.Images(scored, "HrSized");
        var lr = scored.GetColumn<MLImage>("Lr").ToList();

        // Image rows are seeded by their pixels, so the same pixels in a column of any size give the same LR.
        AnyImageAttribute.EnsureRegistered();
        var anySize = ml.Data.LoadFromEnumerable(hr.Select(h => new AnyImageRow { Hr = h }).ToList());
        Assert.AreEqual(new ImageDataViewType(), anySize.Schema["Hr"].Type);
        var expected = ml.Transforms.Degrade("Lr", "Hr", "Gt", gtSize: 96, seed: 5).Fit(anySize).Transform(anySize).GetColumn<MLImage>("Lr").ToList();
        for (int i = 0; i < hr.Count; i++)
        {
            Assert.AreEqual(24, lr[i].Width); Assert.AreEqual(24, lr[i].Height);
            CollectionAssert.AreEqual(Pixels(expected[i]), Pixels(lr[i]), $"LR row {i}");
        }
    }

    [TestMethod]
    public void Degrade_GtSizeNotMultipleOfScale_Throws()
    {
        var ml = new MLContext();
        var e = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => ml.Transforms.Degrade("Lr", "Hr", gtSize: 30));
        StringAssert.Contains(e.Message, "GtSize");
        var small = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => ml.Transforms.Degrade("Lr", "Hr", gtSize: 64));
        StringAssert.Contains(small.Message, "GtSize must be >=");
    }
}
