using System.Security.Cryptography;
using HfDiff.Torch.Assets;

namespace HfDiff.Torch.Tests.Assets;

/// <summary>
/// Files whose publisher gives a SHA-256 are verified on first use and remembered by (full path, size, modification
/// time) in the model directory's cache file, so a later use of the unchanged file does not hash it again.
/// </summary>
[TestClass]
public class ModelDirectoryChecksumTests
{
    static ModelDirectory TempModels()
    {
        var d = Path.Combine(Path.GetTempPath(), $"hfdiff-sha-{Guid.NewGuid():N}");
        Directory.CreateDirectory(d);
        return new ModelDirectory(d);
    }

    static (ModelAsset Asset, byte[] Bytes) Asset(string name)
    {
        var bytes = new byte[4096];
        new Random(7).NextBytes(bytes);
        return (new ModelAsset(name, "test", "https://example.invalid/" + name, Convert.ToHexString(SHA256.HashData(bytes))), bytes);
    }

    [TestMethod]
    public void Require_DamagedFile_ThrowsNamingFileAndBothHashes()
    {
        var dir = TempModels();
        var (asset, bytes) = Asset("w.pth");
        bytes[100] ^= 1;
        File.WriteAllBytes(dir.PathOf(asset.FileName), bytes);
        try
        {
            var e = Assert.ThrowsExactly<AssetFormatException>(() => dir.Require(asset));
            StringAssert.Contains(e.Message, dir.PathOf(asset.FileName));
            StringAssert.Contains(e.Message, asset.Sha256!.ToLowerInvariant());
            StringAssert.Contains(e.Message, Convert.ToHexStringLower(SHA256.HashData(bytes)));
            StringAssert.Contains(e.Message, "hfdiff models fetch w.pth");
            Assert.DoesNotContain("\n", e.Message);
            Assert.ThrowsExactly<AssetFormatException>(() => dir.RequireAll(asset), "RequireAll checks too");
        }
        finally { Directory.Delete(dir.Root, true); }
    }

    [TestMethod]
    public void Require_VerifiedOnce_RememberedUntilSizeOrTimeChanges()
    {
        var dir = TempModels();
        var (asset, bytes) = Asset("w.pth");
        var path = dir.PathOf(asset.FileName);
        File.WriteAllBytes(path, bytes);
        try
        {
            Assert.AreEqual(path, dir.Require(asset));
            var cache = Path.Combine(dir.Root, ModelDirectory.VerifiedCacheFileName);
            Assert.IsTrue(File.Exists(cache), "the result is remembered");
            StringAssert.Contains(File.ReadAllText(cache), path);

            // Same size and modification time: the remembered result is used, so the file is not hashed again
            // (a changed byte behind an unchanged size and time goes unnoticed, by design of the cache key).
            var time = File.GetLastWriteTimeUtc(path);
            bytes[0] ^= 1;
            File.WriteAllBytes(path, bytes);
            File.SetLastWriteTimeUtc(path, time);
            Assert.AreEqual(path, dir.Require(asset));

            // A new modification time: hashed again, and the damage is found.
            File.SetLastWriteTimeUtc(path, time.AddSeconds(5));
            Assert.ThrowsExactly<AssetFormatException>(() => dir.Require(asset));
        }
        finally { Directory.Delete(dir.Root, true); }
    }

    [TestMethod]
    public void RememberVerified_StandIn_AcceptedWithoutHashing()
    {
        var dir = TempModels();
        var (asset, _) = Asset("w.pth");
        var path = dir.PathOf(asset.FileName);
        File.WriteAllBytes(path, [1, 2, 3]);
        try
        {
            Assert.ThrowsExactly<AssetFormatException>(() => dir.Require(asset));
            dir.RememberVerified(asset, path);
            Assert.AreEqual(path, dir.Require(asset));
        }
        finally { Directory.Delete(dir.Root, true); }
    }

    [TestMethod]
    public void Require_AssetWithoutChecksum_NoCacheWritten()
    {
        var dir = TempModels();
        var asset = new ModelAsset("plain.pth", "test", "https://example.invalid/plain.pth");
        File.WriteAllBytes(dir.PathOf(asset.FileName), [1, 2, 3]);
        try
        {
            Assert.AreEqual(dir.PathOf(asset.FileName), dir.Require(asset));
            Assert.IsFalse(File.Exists(Path.Combine(dir.Root, ModelDirectory.VerifiedCacheFileName)));
        }
        finally { Directory.Delete(dir.Root, true); }
    }
}
