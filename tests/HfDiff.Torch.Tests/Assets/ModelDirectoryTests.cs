using HfDiff.Torch.Assets;
using HfDiff.Torch.Metrics.ClipIqa;
using HfDiff.Torch.Metrics.Lpips;
using HfDiff.Torch.Pipelines;

namespace HfDiff.Torch.Tests.Assets;

/// <summary>Missing pretrained files: every missing file is named at once, with the command that fetches them.</summary>
[TestClass]
public class ModelDirectoryTests
{
    static string EmptyDir() => Directory.CreateTempSubdirectory("hfdiff-models-empty-").FullName;

    [TestMethod]
    public void RequireAll_TwoMissing_ListsBothAndTheAliasFetchCommand()
    {
        var root = EmptyDir();
        try
        {
            var e = Assert.ThrowsExactly<ModelAssetMissingException>(() => LpipsMetric.FromModelDirectory(LpipsNet.Alex, new ModelDirectory(root)));
            StringAssert.Contains(e.Message, KnownAssets.TorchvisionAlexNet.FileName);
            StringAssert.Contains(e.Message, KnownAssets.LpipsAlexLinear.FileName);
            StringAssert.Contains(e.Message, "2 files are missing");
            StringAssert.Contains(e.Message, $"hfdiff models fetch lpips-alex --models '{root}'");
            Assert.AreEqual(2, e.Missing.Count);
            Assert.DoesNotContain("\n", e.Summary);
            StringAssert.Contains(e.Summary, "alexnet-owt-7be5be79.pth, alex.pth");
        }
        finally { Directory.Delete(root, true); }
    }

    [TestMethod]
    public void RequireAll_OneOfTwoPresent_NamesOnlyTheMissingOneByFileName()
    {
        var root = EmptyDir();
        try
        {
            File.WriteAllText(Path.Combine(root, KnownAssets.TorchvisionAlexNet.FileName), "");
            var e = Assert.ThrowsExactly<ModelAssetMissingException>(() => new ModelDirectory(root).RequireAll(KnownAssets.TorchvisionAlexNet, KnownAssets.LpipsAlexLinear));
            Assert.DoesNotContain(KnownAssets.TorchvisionAlexNet.FileName, e.Message);
            StringAssert.Contains(e.Message, "hfdiff models fetch alex.pth");
        }
        finally { Directory.Delete(root, true); }
    }

    [TestMethod]
    public void ClipIqaPlus_EmptyDirectory_ListsAllThreeFiles()
    {
        var root = EmptyDir();
        try
        {
            var e = Assert.ThrowsExactly<ModelAssetMissingException>(() => new ClipIqaMetric(new ClipIqaOptions { Variant = ClipIqaVariant.ClipIqaPlus, ModelDirectory = root }));
            foreach (var a in new[] { KnownAssets.ClipRn50, KnownAssets.ClipBpeVocab, KnownAssets.ClipIqaPlusPrompts })
                StringAssert.Contains(e.Message, a.FileName);
            StringAssert.Contains(e.Message, "hfdiff models fetch clipiqa+");
        }
        finally { Directory.Delete(root, true); }
    }

    [TestMethod]
    public void SuperResolver_EmptyDirectory_ListsUnetAndAutoencoder()
    {
        var root = EmptyDir();
        try
        {
            var e = Assert.ThrowsExactly<ModelAssetMissingException>(() => new SuperResolver(new SuperResolverOptions { Config = "sinsr", ModelDirectory = root }));
            StringAssert.Contains(e.Message, KnownAssets.SinSrV1.FileName);
            StringAssert.Contains(e.Message, KnownAssets.VqF4.FileName);
            StringAssert.Contains(e.Message, "hfdiff models fetch sinsr");
        }
        finally { Directory.Delete(root, true); }
    }

    [TestMethod]
    public void Require_Alternatives_NamesEachAndFetchesTheFirst()
    {
        var root = EmptyDir();
        try
        {
            var e = Assert.ThrowsExactly<ModelAssetMissingException>(() => new ModelDirectory(root).Require(KnownAssets.NiqeMatlabParams, KnownAssets.NiqeBasicSrParams));
            StringAssert.Contains(e.Message, "niqe_modelparameters.mat");
            StringAssert.Contains(e.Message, "niqe_pris_params.npz");
            StringAssert.Contains(e.Message, "hfdiff models fetch niqe ");
            StringAssert.Contains(e.Summary, "niqe_modelparameters.mat or niqe_pris_params.npz");
        }
        finally { Directory.Delete(root, true); }
    }
}
