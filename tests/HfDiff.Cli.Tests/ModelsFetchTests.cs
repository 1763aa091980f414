using HfDiff.Cli;
using HfDiff.Tests.Common;
using HfDiff.Torch.Assets;

namespace HfDiff.Cli.Tests;

/// <summary><c>hfdiff models fetch</c> against a local HTTP mirror on 127.0.0.1 serving random bytes (no external network).</summary>
[TestClass]
public class ModelsFetchTests
{
    // A real KnownAssets file without a published SHA-256, so random bytes are accepted.
    static readonly ModelAsset Asset = KnownAssets.NiqeBasicSrParams;

    static (int Exit, string Out, string Err) Run(params string[] args) => CliHarness.Run(args);

    static string TempDir() => Path.Combine(Path.GetTempPath(), $"hfdiff-fetch-cli-{Guid.NewGuid():N}");

    static byte[] RandomBytes(int length)
    {
        var bytes = new byte[length];
        new Random(11).NextBytes(bytes);
        return bytes;
    }

    [TestMethod]
    public void Fetch_FileNameFromMirror_PlacedAndExitZero_SecondRunSkips()
    {
        Assert.IsNull(Asset.Sha256, "test premise: the asset has no published hash");
        using var server = new LocalHttpServer();
        var source = RandomBytes(70_000);
        server.Add(Asset.FileName, source);
        var models = TempDir();

        var (exit, output, err) = Run("models", "fetch", Asset.FileName, "--models", models, "--mirror", server.BaseUrl);

        Assert.AreEqual(0, exit, output + err);
        CollectionAssert.AreEqual(source, File.ReadAllBytes(Path.Combine(models, Asset.FileName)));
        Assert.IsFalse(File.Exists(Path.Combine(models, Asset.FileName + AssetDownloader.PartSuffix)));
        StringAssert.Contains(output, "fetched");
        StringAssert.Contains(output, "68.4 KB");
        StringAssert.Contains(err, $"{server.BaseUrl}/{Asset.FileName}");

        var again = Run("models", "fetch", Asset.FileName, "--models", models, "--mirror", server.BaseUrl);
        Assert.AreEqual(0, again.Exit, again.Out + again.Err);
        StringAssert.Contains(again.Out, "present");
        Assert.AreEqual(1, server.RangeHeaders.Count, "a present file is not requested again");
        Directory.Delete(models, true);
    }

    [TestMethod]
    public void Fetch_AliasWithMirrorFromEnvironment_Fetched()
    {
        using var server = new LocalHttpServer();
        var source = RandomBytes(5_000);
        server.Add(Asset.FileName, source);
        var models = TempDir();
        var old = Environment.GetEnvironmentVariable(AssetDownloader.MirrorEnvironmentVariable);
        try
        {
            Environment.SetEnvironmentVariable(AssetDownloader.MirrorEnvironmentVariable, server.BaseUrl);
            var (exit, output, err) = Run("models", "fetch", "niqe-basicsr", "--models", models);
            Assert.AreEqual(0, exit, output + err);
            CollectionAssert.AreEqual(source, File.ReadAllBytes(Path.Combine(models, Asset.FileName)));
        }
        finally { Environment.SetEnvironmentVariable(AssetDownloader.MirrorEnvironmentVariable, old); }
        Directory.Delete(models, true);
    }

    [TestMethod]
    public void Fetch_UnknownName_ExitTwoListingKnownNames()
    {
        var models = TempDir();
        var (exit, output, err) = Run("models", "fetch", "no-such-model", "--models", models, "--mirror", "http://127.0.0.1:9");
        Assert.AreEqual(2, exit, output + err);
        StringAssert.Contains(err, "'no-such-model'");
        StringAssert.Contains(err, "sinsr");
        foreach (var asset in KnownAssets.All) StringAssert.Contains(err, asset.FileName);
        Assert.IsFalse(err.Contains("   at "), "no stack trace: " + err);
        Assert.IsFalse(Directory.Exists(models), "nothing fetched");
    }

    [TestMethod]
    public void Fetch_FileMissingOnMirror_ExitOneNamingStatusAndUrl()
    {
        using var server = new LocalHttpServer();
        var models = TempDir();
        var (exit, output, err) = Run("models", "fetch", Asset.FileName, "--models", models, "--mirror", server.BaseUrl);
        Assert.AreEqual(1, exit, output + err);
        StringAssert.Contains(err, "404");
        StringAssert.Contains(err, $"{server.BaseUrl}/{Asset.FileName}");
        Assert.IsFalse(err.Contains("   at "), "no stack trace: " + err);
        Assert.IsFalse(File.Exists(Path.Combine(models, Asset.FileName)));
        if (Directory.Exists(models)) Directory.Delete(models, true);
    }
}
