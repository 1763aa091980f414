using HfDiff.MLNet;
using HfDiff.MLNet.Imaging;
using HfDiff.MLNet.Tests.Common;
using HfDiff.Tests.Common;
using HfDiff.Torch.Archs.ResShift;
using HfDiff.Torch.Imaging;
using HfDiff.Torch.Pipelines;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Transforms.Image;
using static TorchSharp.torch;

namespace HfDiff.MLNet.Tests.SuperResolution;

/// <summary>
/// The SR transform with the reduced SinSR/VQGAN networks of the ResShift fixture (constructor arguments and file names
/// from its config.json): its output equals <see cref="SuperResolver"/> called directly, for path and image columns,
/// and survives Model.Save/Load.
/// </summary>
[TestClass]
public class SuperResolveEstimatorTests
{
    public sealed class PathRow { public string Lr { get; set; } = ""; }

    internal static SuperResolverOptions FixtureOptions()
    {
        var dir = TestPaths.Fixture("resshift");
        var cfg = TestPaths.ReadConfig(dir);
        var b = cfg.GetProperty("sinsr_unet_B");
        var ae = cfg.GetProperty("autoencoder");
        return new SuperResolverOptions
        {
            Config = "sinsr",
            Unet = UNetModelSwinOptions.FromJson(b.GetProperty("sinsr_kwargs"), UNetCodeBase.SinSR),
            Autoencoder = VQModelOptions.FromJson(ae.GetProperty("kwargs")),
            UnetCheckpoint = Path.Combine(dir, b.GetProperty("file").GetString()!),
            AutoencoderCheckpoint = Path.Combine(dir, ae.GetProperty("file").GetString()!),
            Seed = 7,
        };
    }

    /// <summary>Two small LR crops of a bundled sample image, written to temp PNGs.</summary>
    static List<PathRow> LrFiles()
    {
        var root = TestPaths.RepositoryRoot() ?? throw new AssertFailedException("repository root not found");
        using var img = ImageIO.ReadTensor(Path.Combine(root, "data", "samples", "gt", "rings.png"));
        var rows = new List<PathRow>();
        foreach (var (top, h, w) in new[] { (0, 24, 32), (40, 20, 20) })
        {
            var path = Path.Combine(Path.GetTempPath(), $"hfdiff-srlr-{Guid.NewGuid():N}.png");
            using var crop = img[.., .., top..(top + h), 10..(10 + w)];
            ImageIO.WritePng(crop, path);
            rows.Add(new PathRow { Lr = path });
        }
        return rows;
    }

    static byte[] Pixels(MLImage image) => image.Pixels.ToArray();

    [TestMethod]
    [TestCategory("Parity.ResShift")]
    public void SuperResolve_PathAndImageColumns_EqualDirectSuperResolverAndSurviveSaveLoad()
    {
        var options = FixtureOptions();
        var rows = LrFiles();
        var ml = new MLContext(seed: 1);
        var data = ml.Data.LoadFromEnumerable(rows);

        var model = ml.Transforms.SuperResolve("Sr", "Lr", options).Fit(data);
        var outputs = model.Transform(data).GetColumn<MLImage>("Sr").ToList();

        using var direct = new SuperResolver(options);
        for (int i = 0; i < rows.Count; i++)
        {
            using var lr = ImageIO.ReadTensor(rows[i].Lr);
            using var expected = direct.SuperResolve(lr);
            Assert.AreEqual(expected.shape[3], outputs[i].Width, "width ×4");
            Assert.AreEqual(expected.shape[2], outputs[i].Height, "height ×4");
            CollectionAssert.AreEqual(Pixels(MLImageTensor.FromTensor(expected)), Pixels(outputs[i]), $"row {i}");
        }

        // Image columns (LoadImages) give the same pixels.
        var images = ml.Transforms.LoadImages("LrImage", null, "Lr").Fit(data).Transform(data);
        var fromImages = ml.Transforms.SuperResolve("Sr", "LrImage", options).Fit(images).Transform(images).GetColumn<MLImage>("Sr").ToList();
        for (int i = 0; i < rows.Count; i++) CollectionAssert.AreEqual(Pixels(outputs[i]), Pixels(fromImages[i]), $"image row {i}");

        var path = Path.Combine(Path.GetTempPath(), $"hfdiff-sr-{Guid.NewGuid():N}.zip");
        ml.Model.Save(model, null, path);
        var reloaded = new MLContext(seed: 9).Model.Load(path, out _).Transform(data).GetColumn<MLImage>("Sr").ToList();
        for (int i = 0; i < rows.Count; i++) CollectionAssert.AreEqual(Pixels(outputs[i]), Pixels(reloaded[i]), $"reloaded row {i}");
        File.Delete(path);
        foreach (var r in rows) File.Delete(r.Lr);
    }

    [TestMethod]
    [TestCategory("Parity.ResShift")]
    public void SuperResolve_ResizeImagesColumn_AcceptedAndEqualsDirectSuperResolverOnItsPixels()
    {
        var options = FixtureOptions();
        var rows = LrFiles();
        try
        {
            var ml = new MLContext(seed: 1);
            var data = ml.Data.LoadFromEnumerable(rows);
            var resize = ml.Transforms.LoadImages("LrImage", null, "Lr").Append(ml.Transforms.ResizeImages("LrSized", imageWidth: 24, imageHeight: 16, inputColumnName: "LrImage"));
            var sr = ml.Transforms.SuperResolve("Sr", "LrSized", options);
            Assert.IsTrue(sr.GetOutputSchema(resize.GetOutputSchema(TestData.ShapeOf(data))).Any(c => c.Name == "Sr"));
            var scored = resize.Append(sr).Fit(data).Transform(data);
            Assert.AreEqual(new ImageDataViewType(16, 24), scored.Schema["LrSized"].Type);
            var lr = TestData.Images(scored, "LrSized");
            var outputs = scored.GetColumn<MLImage>("Sr").ToList();
            using var direct = new SuperResolver(options);
            for (int i = 0; i < rows.Count; i++)
            {
                using var t = MLImageTensor.ToTensor(lr[i]);
                using var expected = direct.SuperResolve(t);
                Assert.AreEqual(96, outputs[i].Width); Assert.AreEqual(64, outputs[i].Height);
                CollectionAssert.AreEqual(Pixels(MLImageTensor.FromTensor(expected)), Pixels(outputs[i]), $"row {i}");
            }
        }
        finally { foreach (var r in rows) File.Delete(r.Lr); }
    }

    [TestMethod]
    public void Fit_MissingColumn_ThrowsCouldNotFind()
    {
        var ml = new MLContext();
        var data = ml.Data.LoadFromEnumerable(new[] { new PathRow { Lr = "x.png" } });
        var e = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => ml.Transforms.SuperResolve("Sr", "Nope").Fit(data));
        StringAssert.Contains(e.Message, "Could not find input column 'Nope'");
    }

    [TestMethod]
    public void SuperResolve_StepsZero_ThrowsNamingOption()
    {
        var ml = new MLContext();
        var e = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => ml.Transforms.SuperResolve("Sr", "Lr", new SuperResolverOptions { Steps = 0 }));
        StringAssert.Contains(e.Message, "Steps");
    }
}
