using System.Security.Cryptography;
using HfDiff.Tests.Common;
using HfDiff.Torch.Assets;
using HfDiff.Torch.Imaging;
using HfDiff.Torch.Pipelines;
using HfDiff.Torch.Weights;
using TorchSharp;

namespace HfDiff.Torch.Tests.Assets;

/// <summary>
/// The bundled hfdiff-tiny model: it is in the assembly, loads strictly, is what <c>auto</c> picks without official files
/// (and not with them), and super-resolves a bundled sample reproducibly for a seed.
/// </summary>
[TestClass]
[TestCategory("BundledModel")]
public class BundledModelTests
{
    static string _cache = "";
    static string? _previousCache;

    [ClassInitialize]
    public static void PrivateCache(TestContext _)
    {
        _previousCache = Environment.GetEnvironmentVariable("HFDIFF_CACHE");
        _cache = Directory.CreateTempSubdirectory("hfdiff-bundled-cache-").FullName;
        Environment.SetEnvironmentVariable("HFDIFF_CACHE", _cache);
    }

    [ClassCleanup]
    public static void RestoreCache()
    {
        Environment.SetEnvironmentVariable("HFDIFF_CACHE", _previousCache);
        try { Directory.Delete(_cache, recursive: true); } catch (IOException) { }
    }

    static string EmptyModelDirectory() => Directory.CreateTempSubdirectory("hfdiff-empty-models-").FullName;

    static string Sample(string name)
    {
        var root = TestPaths.RepositoryRoot() ?? throw new AssertInconclusiveException("Skipped: the repository (data/samples) is not above the test binaries.");
        return Path.Combine(root, "data", "samples", "photos", "lr", name);
    }

    static string Hash(torch.Tensor t)
    {
        var bytes = t.contiguous().cpu().to(torch.float32).data<float>().ToArray();
        return Convert.ToHexStringLower(SHA256.HashData(System.Runtime.InteropServices.MemoryMarshal.AsBytes(bytes.AsSpan())));
    }

    [TestMethod]
    public void IsEmbedded_AndItsWeightsMatchItsConfigStrictly()
    {
        Assert.IsTrue(BundledModel.IsAvailable, "data/default-model/hfdiff-tiny_*.pth are committed, so every build embeds them");
        using var resolver = new SuperResolver(new SuperResolverOptions { Config = BundledModel.Name });   // strict loads
        Assert.AreEqual(BundledModel.Name, resolver.ModelName);
        Assert.AreEqual(1, resolver.Steps, "a one-step student");
        Assert.AreEqual(BundledModel.Notice, resolver.ModelNotice);
        StringAssert.StartsWith(Path.GetFileName(resolver.UnetCheckpointPath!), $"{BundledModel.Name}_unet-");
        StringAssert.StartsWith(resolver.UnetCheckpointPath!, _cache);
        long bytes = new FileInfo(resolver.UnetCheckpointPath!).Length + new FileInfo(resolver.AutoencoderCheckpointPath!).Length;
        Assert.IsTrue(bytes < 25L << 20, $"bundled weights are {bytes} bytes; the budget is 25 MB");
    }

    [TestMethod]
    public void Auto_WithoutOfficialFiles_PicksTheBundledModel_AndAnExplicitSinsrStillNamesTheMissingFiles()
    {
        var dir = EmptyModelDirectory();
        using (var auto = new SuperResolver(new SuperResolverOptions { ModelDirectory = dir }))
        {
            Assert.AreEqual(BundledModel.Name, auto.ModelName);
            Assert.IsNotNull(auto.ModelNotice);
        }
        var e = Assert.ThrowsExactly<ModelAssetMissingException>(() => new SuperResolver(new SuperResolverOptions { Config = "sinsr", ModelDirectory = dir }));
        StringAssert.Contains(e.Message, KnownAssets.SinSrV1.FileName);
    }

    [TestMethod]
    public void Auto_WithOfficialFilesPresent_ReadsThem()
    {
        var dir = EmptyModelDirectory();
        // Not real checkpoints: reading them fails, and the failure names the official file, so auto chose it.
        File.WriteAllText(Path.Combine(dir, KnownAssets.SinSrV1.FileName), "not a checkpoint");
        File.WriteAllText(Path.Combine(dir, KnownAssets.VqF4.FileName), "not a checkpoint");
        var e = Assert.ThrowsExactly<CheckpointFormatException>(() => new SuperResolver(new SuperResolverOptions { ModelDirectory = dir }));
        StringAssert.Contains(e.Message, KnownAssets.SinSrV1.FileName);
    }

    [TestMethod]
    public void Auto_WithAnExplicitCheckpoint_UsesTheOfficialConfig()
    {
        var dir = EmptyModelDirectory();
        var missing = Path.Combine(dir, "mine.pth");
        File.WriteAllText(missing, "not a checkpoint");
        // The official SinSR config is chosen: its autoencoder is then required from the (empty) model directory.
        var e = Assert.ThrowsExactly<ModelAssetMissingException>(() => new SuperResolver(new SuperResolverOptions { ModelDirectory = dir, UnetCheckpoint = missing }));
        StringAssert.Contains(e.Message, KnownAssets.VqF4.FileName);
    }

    [TestMethod]
    public void Upscale_OfABundledSample_IsDeterministicForASeed()
    {
        var dir = EmptyModelDirectory();
        using var lr = ImageIO.ReadTensor(Sample("chelsea.png"));
        string first, again, otherSeed;
        using (var a = new SuperResolver(new SuperResolverOptions { ModelDirectory = dir, Seed = 7 }))
        {
            using var sr = a.SuperResolve(lr);
            CollectionAssert.AreEqual(new long[] { 1, 3, 4 * lr.shape[2], 4 * lr.shape[3] }, sr.shape);
            Assert.IsTrue(sr.min().item<float>() >= 0 && sr.max().item<float>() <= 1);
            first = Hash(sr);
            using var other = a.SuperResolve(lr, seed: 8);
            otherSeed = Hash(other);
        }
        using (var b = new SuperResolver(new SuperResolverOptions { ModelDirectory = dir, Seed = 7 }))
        {
            using var sr = b.SuperResolve(lr);
            again = Hash(sr);
        }
        Assert.AreEqual(first, again, "a new resolver with the same seed reproduces the output bit for bit");
        Assert.AreNotEqual(first, otherSeed, "the seed reaches the noise (one-step sampling starts from y + kappa * noise)");
    }

    [TestMethod]
    public void DamagedCachedCopy_IsNotRead_ButWrittenAgain()
    {
        var path = BundledModel.UnetPath;
        var good = File.ReadAllBytes(path);
        File.WriteAllBytes(path, good.AsSpan(0, good.Length / 2).ToArray());
        var again = BundledModel.UnetPath;
        Assert.AreEqual(path, again);
        CollectionAssert.AreEqual(good, File.ReadAllBytes(again));
    }
}
