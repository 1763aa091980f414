using HfDiff.Torch.Assets;

namespace HfDiff.Torch.Tests.Assets;

[TestClass]
public class AssetAliasesTests
{
    [TestMethod]
    public void Resolve_AliasesAndFileNames_DistinctInFirstMentionOrder()
    {
        var assets = AssetAliases.Resolve(["SinSR", "autoencoder_vq_f4.pth", "vq-f4", "niqe_pris_params.npz"]);
        CollectionAssert.AreEqual(new[] { KnownAssets.SinSrV1, KnownAssets.VqF4, KnownAssets.NiqeBasicSrParams }, assets.ToArray());
    }

    [TestMethod]
    public void Resolve_All_EveryKnownAsset()
    {
        CollectionAssert.AreEqual(KnownAssets.All.ToArray(), AssetAliases.Resolve(["all"]).ToArray());
    }

    [TestMethod]
    public void Resolve_UnknownName_ThrowsListingItAndKnownNames()
    {
        var e = Assert.ThrowsExactly<ArgumentException>(() => AssetAliases.Resolve(["sinsr", "nonsense.pth"]));
        StringAssert.Contains(e.Message, "'nonsense.pth'");
        StringAssert.Contains(e.Message, "lpips-alex");
        foreach (var asset in KnownAssets.All) StringAssert.Contains(e.Message, asset.FileName);
    }

    [TestMethod]
    public void Table_EveryAliasUniqueAndNamesKnownAssets()
    {
        var aliases = AssetAliases.Table.Select(t => t.Alias).ToList();
        Assert.AreEqual(aliases.Count, aliases.Distinct(StringComparer.OrdinalIgnoreCase).Count());
        foreach (var (alias, assets) in AssetAliases.Table)
        {
            Assert.IsTrue(assets.Length > 0, alias);
            foreach (var a in assets) CollectionAssert.Contains(KnownAssets.All.ToArray(), a, alias);
            Assert.IsFalse(KnownAssets.All.Any(k => string.Equals(k.FileName, alias, StringComparison.OrdinalIgnoreCase)), $"alias {alias} shadows a file name");
        }
    }
}
