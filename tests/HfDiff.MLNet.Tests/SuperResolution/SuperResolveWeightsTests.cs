using HfDiff.MLNet;
using HfDiff.MLNet.SuperResolution;
using HfDiff.Tests.Common;
using HfDiff.Torch.Assets;
using HfDiff.Torch.Pipelines;
using Microsoft.ML;

namespace HfDiff.MLNet.Tests.SuperResolution;

/// <summary>
/// A missing weight file fails the SR transform's Fit with one error naming every missing file, the files the resolver
/// itself would ask for (it is built only at the first row), not later inside Evaluate.
/// </summary>
[TestClass]
public class SuperResolveWeightsTests
{
    public sealed class PathRow { public string Lr { get; set; } = ""; }

    static string EmptyDir() => Directory.CreateTempSubdirectory("hfdiff-sr-weights-").FullName;

    static IDataView Rows(MLContext ml) => ml.Data.LoadFromEnumerable(new[] { new PathRow { Lr = "never-read.png" } });

    /// <summary>The missing files as SuperResolver's own constructor reports them (it checks before building any network).</summary>
    static string[] MissingPerResolver(SuperResolverOptions options)
    {
        var e = Assert.ThrowsExactly<ModelAssetMissingException>(() => new SuperResolver(options).Dispose());
        return e.Missing.Select(m => m[0].FileName).ToArray();
    }

    [TestMethod]
    [DataRow("sinsr", new[] { "SinSR_v1.pth", "autoencoder_vq_f4.pth" })]
    [DataRow("resshift", new[] { "resshift_realsrx4_s15_v1.pth", "autoencoder_vq_f4.pth" })]
    public void Fit_OfficialFilesMissing_ThrowsAtFitNamingThemAsTheResolverWould(string config, string[] files)
    {
        var dir = EmptyDir();
        try
        {
            var ml = new MLContext();
            var options = new SuperResolverOptions { Config = config, ModelDirectory = dir };
            var estimator = ml.Transforms.SuperResolve("Sr", "Lr", options);
            var e = Assert.ThrowsExactly<ModelAssetMissingException>(() => estimator.Fit(Rows(ml)));
            CollectionAssert.AreEqual(files, e.Missing.Select(m => m[0].FileName).ToArray());
            foreach (var f in files) StringAssert.Contains(e.Message, f);
            CollectionAssert.AreEqual(MissingPerResolver(options), files, "the resolver asks for the same files");
        }
        finally { Directory.Delete(dir, true); }
    }

    [TestMethod]
    public void Fit_OneOfficialFilePresent_NamesOnlyTheOther()
    {
        var dir = EmptyDir();
        try
        {
            File.WriteAllBytes(Path.Combine(dir, KnownAssets.VqF4.FileName), [0]);   // presence is what Fit checks; reading is the resolver's
            var ml = new MLContext();
            var options = new SuperResolverOptions { Config = "sinsr", ModelDirectory = dir };
            var e = Assert.ThrowsExactly<ModelAssetMissingException>(() => ml.Transforms.SuperResolve("Sr", "Lr", options).Fit(Rows(ml)));
            CollectionAssert.AreEqual(new[] { "SinSR_v1.pth" }, e.Missing.Select(m => m[0].FileName).ToArray());
            CollectionAssert.AreEqual(new[] { "SinSR_v1.pth" }, MissingPerResolver(options));
        }
        finally { Directory.Delete(dir, true); }
    }

    [TestMethod]
    public void Fit_ExplicitCheckpointMissing_ThrowsNamingItAndTheMissingDirectoryFile()
    {
        var dir = EmptyDir();
        try
        {
            var ml = new MLContext();
            var unet = Path.Combine(dir, "no-such-unet.pth");
            var e = Assert.ThrowsExactly<ModelAssetMissingException>(() =>
                ml.Transforms.SuperResolve("Sr", "Lr", new SuperResolverOptions { Config = "sinsr", UnetCheckpoint = unet, ModelDirectory = dir }).Fit(Rows(ml)));
            StringAssert.Contains(e.Message, $"UnetCheckpoint '{unet}'");
            StringAssert.Contains(e.Message, "autoencoder_vq_f4.pth");
            StringAssert.StartsWith(e.Summary, "SuperResolve: a weight file does not exist");

            var vq = Path.Combine(dir, "no-such-vq.pth");
            var both = Assert.ThrowsExactly<ModelAssetMissingException>(() =>
                ml.Transforms.SuperResolve("Sr", "Lr", new SuperResolverOptions { Config = "resshift", UnetCheckpoint = unet, AutoencoderCheckpoint = vq, ModelDirectory = dir }).Fit(Rows(ml)));
            StringAssert.Contains(both.Message, $"2 weight files do not exist: UnetCheckpoint '{unet}', AutoencoderCheckpoint '{vq}'.");
        }
        finally { Directory.Delete(dir, true); }
    }

    /// <summary>
    /// "auto" with no official files: the bundled model, which needs nothing from the model directory; in a build without
    /// the bundled weights the resolver falls back to SinSR, whose files are then missing.
    /// </summary>
    [TestMethod]
    public void Fit_AutoWithoutOfficialFiles_BundledModelNeedsNothingElseSinSrFilesNamed()
    {
        var dir = EmptyDir();
        try
        {
            var ml = new MLContext();
            var options = new SuperResolverOptions { ModelDirectory = dir };
            Assert.AreEqual(SuperResolverOptions.AutoConfig, options.Config);
            var estimator = ml.Transforms.SuperResolve("Sr", "Lr", options);
            if (BundledModel.IsAvailable)
            {
                Assert.IsNotNull(estimator.Fit(Rows(ml)));
                return;
            }
            var e = Assert.ThrowsExactly<ModelAssetMissingException>(() => estimator.Fit(Rows(ml)));
            CollectionAssert.AreEqual(MissingPerResolver(options), e.Missing.Select(m => m[0].FileName).ToArray());
        }
        finally { Directory.Delete(dir, true); }
    }

    /// <summary>With every file present Fit succeeds without reading any (the fixture's reduced networks, as the parity test).</summary>
    [TestMethod]
    public void Fit_ExplicitCheckpointsPresent_Succeeds()
    {
        var options = SuperResolveEstimatorTests.FixtureOptions();
        var ml = new MLContext();
        Assert.IsNotNull(ml.Transforms.SuperResolve("Sr", "Lr", options).Fit(Rows(ml)));
    }
}
