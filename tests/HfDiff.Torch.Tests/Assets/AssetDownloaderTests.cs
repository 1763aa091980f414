using System.Security.Cryptography;
using HfDiff.Tests.Common;
using HfDiff.Torch.Assets;

namespace HfDiff.Torch.Tests.Assets;

/// <summary>Downloads from a local HTTP server on 127.0.0.1 serving random bytes made here (no external network).</summary>
[TestClass]
public class AssetDownloaderTests
{
    const string Unreachable = "https://official.invalid/should-not-be-used";

    static byte[] RandomBytes(int length, int seed)
    {
        var bytes = new byte[length];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }

    static string Sha(byte[] bytes) => Convert.ToHexStringLower(SHA256.HashData(bytes));

    static ModelDirectory TempModels() =>
        new(Path.Combine(Path.GetTempPath(), $"hfdiff-fetch-{Guid.NewGuid():N}"));

    static void Cleanup(ModelDirectory dir)
    {
        if (Directory.Exists(dir.Root)) Directory.Delete(dir.Root, true);
    }

    sealed class Recorder : IProgress<(long Done, long? Total)>
    {
        public List<(long Done, long? Total)> Reports { get; } = [];
        public void Report((long Done, long? Total) value) => Reports.Add(value);
    }

    [TestMethod]
    public void Download_FreshFile_VerifiedAndPlacedWithoutPart()
    {
        using var server = new LocalHttpServer();
        var source = RandomBytes(300_000, 1);
        var asset = new ModelAsset("fresh.bin", "test", Unreachable, Sha(source).ToUpperInvariant());
        server.Add(asset.FileName, source);
        var dir = TempModels();
        using var downloader = new AssetDownloader(server.BaseUrl + "/");
        var progress = new Recorder();

        var path = downloader.Download(asset, dir, progress);

        Assert.AreEqual(dir.PathOf("fresh.bin"), path);
        CollectionAssert.AreEqual(source, File.ReadAllBytes(path));
        Assert.IsFalse(File.Exists(path + AssetDownloader.PartSuffix), "no .part left");
        CollectionAssert.AreEquivalent(new[] { "fresh.bin", ModelDirectory.VerifiedCacheFileName }, Directory.GetFiles(dir.Root).Select(Path.GetFileName).ToArray(),
            "the file and the remembered checksum, nothing else");
        StringAssert.Contains(File.ReadAllText(Path.Combine(dir.Root, ModelDirectory.VerifiedCacheFileName)), path);
        CollectionAssert.AreEqual(new string?[] { null }, server.RangeHeaders.ToArray(), "fresh download sends no Range");
        Assert.AreEqual((source.LongLength, (long?)source.LongLength), progress.Reports[^1]);
        Cleanup(dir);
    }

    [TestMethod]
    public void Download_ExistingPart_ResumesWithRangeRequest()
    {
        using var server = new LocalHttpServer();
        var source = RandomBytes(250_001, 2);
        var asset = new ModelAsset("resume.bin", "test", Unreachable, Sha(source));
        server.Add(asset.FileName, source);
        var dir = TempModels();
        Directory.CreateDirectory(dir.Root);
        const int have = 100_003;
        File.WriteAllBytes(dir.PathOf("resume.bin") + AssetDownloader.PartSuffix, source[..have]);
        using var downloader = new AssetDownloader(server.BaseUrl);
        var progress = new Recorder();

        var path = downloader.Download(asset, dir, progress);

        CollectionAssert.AreEqual(new string?[] { $"bytes={have}-" }, server.RangeHeaders.ToArray());
        CollectionAssert.AreEqual(source, File.ReadAllBytes(path));
        Assert.IsFalse(File.Exists(path + AssetDownloader.PartSuffix));
        Assert.AreEqual(have, progress.Reports[0].Done, "progress starts at the resumed size");
        Assert.AreEqual(source.LongLength, progress.Reports[0].Total);
        Cleanup(dir);
    }

    [TestMethod]
    public void Download_ServerWithoutRangeSupport_RestartsFromZero()
    {
        using var server = new LocalHttpServer { SupportsRanges = false };
        var source = RandomBytes(120_000, 3);
        // No hash: the file must come out right from the restart itself, not from a checksum rescue.
        var asset = new ModelAsset("norange.bin", "test", Unreachable);
        server.Add(asset.FileName, source);
        var dir = TempModels();
        Directory.CreateDirectory(dir.Root);
        File.WriteAllBytes(dir.PathOf("norange.bin") + AssetDownloader.PartSuffix, source[..50_000]);
        using var downloader = new AssetDownloader(server.BaseUrl);

        var path = downloader.Download(asset, dir);

        CollectionAssert.AreEqual(new string?[] { "bytes=50000-" }, server.RangeHeaders.ToArray(), "a range was asked for");
        CollectionAssert.AreEqual(source, File.ReadAllBytes(path));
        Assert.IsFalse(File.Exists(path + AssetDownloader.PartSuffix));
        Cleanup(dir);
    }

    [TestMethod]
    public void Download_PartAlreadyComplete_416AcceptedAfterHashCheck()
    {
        using var server = new LocalHttpServer();
        var source = RandomBytes(40_000, 4);
        var asset = new ModelAsset("complete.bin", "test", Unreachable, Sha(source));
        server.Add(asset.FileName, source);
        var dir = TempModels();
        Directory.CreateDirectory(dir.Root);
        File.WriteAllBytes(dir.PathOf("complete.bin") + AssetDownloader.PartSuffix, source);
        using var downloader = new AssetDownloader(server.BaseUrl);

        var path = downloader.Download(asset, dir);

        CollectionAssert.AreEqual(new string?[] { $"bytes={source.Length}-" }, server.RangeHeaders.ToArray());
        CollectionAssert.AreEqual(source, File.ReadAllBytes(path));
        Assert.IsFalse(File.Exists(path + AssetDownloader.PartSuffix));
        Cleanup(dir);
    }

    [TestMethod]
    public void Download_HashMismatch_ThrowsNamingFileAndHashes_DeletesPart()
    {
        using var server = new LocalHttpServer();
        var source = RandomBytes(60_000, 5);
        var expected = Sha(RandomBytes(60_000, 6));
        var asset = new ModelAsset("tampered.bin", "test", Unreachable, expected);
        server.Add(asset.FileName, source);
        var dir = TempModels();
        using var downloader = new AssetDownloader(server.BaseUrl);

        var e = Assert.ThrowsExactly<AssetDownloadException>(() => downloader.Download(asset, dir));

        StringAssert.Contains(e.Message, "tampered.bin");
        StringAssert.Contains(e.Message, expected);
        StringAssert.Contains(e.Message, Sha(source));
        Assert.IsFalse(File.Exists(dir.PathOf("tampered.bin")), "no final file");
        Assert.IsFalse(File.Exists(dir.PathOf("tampered.bin") + AssetDownloader.PartSuffix), "part deleted");
        Cleanup(dir);
    }

    [TestMethod]
    public void Download_Http404_ThrowsNamingStatusUrlAndFile()
    {
        using var server = new LocalHttpServer();
        // No mirror: the official URL (here the local server) is used as given.
        var url = $"{server.BaseUrl}/releases/missing.pth";
        var asset = new ModelAsset("missing.pth", "test", url);
        var dir = TempModels();
        using var downloader = new AssetDownloader();

        var e = Assert.ThrowsExactly<AssetDownloadException>(() => downloader.Download(asset, dir));

        StringAssert.Contains(e.Message, "404");
        StringAssert.Contains(e.Message, url);
        StringAssert.Contains(e.Message, "missing.pth");
        Assert.IsFalse(File.Exists(dir.PathOf("missing.pth")));
        Cleanup(dir);
    }

    [TestMethod]
    public void Download_NothingListening_ThrowsNamingUrl()
    {
        string url;
        using (var server = new LocalHttpServer()) url = $"{server.BaseUrl}/gone.pth"; // the port is closed again
        var asset = new ModelAsset("gone.pth", "test", url);
        var dir = TempModels();
        using var downloader = new AssetDownloader();

        var e = Assert.ThrowsExactly<AssetDownloadException>(() => downloader.Download(asset, dir));

        StringAssert.Contains(e.Message, url);
        StringAssert.Contains(e.Message, "gone.pth");
        Assert.IsInstanceOfType<HttpRequestException>(e.InnerException);
        Cleanup(dir);
    }

    [TestMethod]
    public void Download_FinalFilePresent_SkippedWithoutRequest()
    {
        using var server = new LocalHttpServer();
        var local = RandomBytes(1000, 7);
        var asset = new ModelAsset("here.bin", "test", Unreachable, Sha(local));
        server.Add(asset.FileName, RandomBytes(1000, 8));
        var dir = TempModels();
        Directory.CreateDirectory(dir.Root);
        File.WriteAllBytes(dir.PathOf("here.bin"), local);
        using var downloader = new AssetDownloader(server.BaseUrl);

        var path = downloader.Download(asset, dir);

        Assert.AreEqual(0, server.RangeHeaders.Count, "no request for a present file");
        CollectionAssert.AreEqual(local, File.ReadAllBytes(path));
        Cleanup(dir);
    }

    [TestMethod]
    public void Download_PresentFileWithWrongHash_ThrowsAndKeepsIt()
    {
        var local = RandomBytes(1000, 9);
        var expected = Sha(RandomBytes(1000, 10));
        var asset = new ModelAsset("stale.bin", "test", Unreachable, expected);
        var dir = TempModels();
        Directory.CreateDirectory(dir.Root);
        File.WriteAllBytes(dir.PathOf("stale.bin"), local);
        using var downloader = new AssetDownloader();

        var e = Assert.ThrowsExactly<AssetDownloadException>(() => downloader.Download(asset, dir));

        StringAssert.Contains(e.Message, dir.PathOf("stale.bin"));
        StringAssert.Contains(e.Message, expected);
        StringAssert.Contains(e.Message, Sha(local));
        Assert.IsTrue(File.Exists(dir.PathOf("stale.bin")), "a user's file is never deleted");
        Cleanup(dir);
    }

    [TestMethod]
    public void UrlOf_Mirror_ReplacesOfficialUrlWithEscapedFileName()
    {
        var asset = new ModelAsset("CLIP-IQA+_learned prompts.pth", "test", Unreachable);
        using var mirrored = new AssetDownloader("http://mirror.example/models/");
        using var official = new AssetDownloader();

        Assert.AreEqual("http://mirror.example/models/CLIP-IQA%2B_learned%20prompts.pth", mirrored.UrlOf(asset).AbsoluteUri);
        Assert.AreEqual(Unreachable, official.UrlOf(asset).AbsoluteUri);
    }

    [TestMethod]
    public void Constructor_MirrorNotHttp_ThrowsNamingIt()
    {
        var e = Assert.ThrowsExactly<ArgumentException>(() => new AssetDownloader("ftp://mirror.example"));
        StringAssert.Contains(e.Message, "ftp://mirror.example");
        Assert.AreEqual("mirror", e.ParamName);
    }

    [TestMethod]
    public void ResolveMirror_ExplicitBeatsEnvironment()
    {
        var old = Environment.GetEnvironmentVariable(AssetDownloader.MirrorEnvironmentVariable);
        try
        {
            Environment.SetEnvironmentVariable(AssetDownloader.MirrorEnvironmentVariable, "http://env.example");
            Assert.AreEqual("http://env.example", AssetDownloader.ResolveMirror());
            Assert.AreEqual("http://cli.example", AssetDownloader.ResolveMirror("http://cli.example"));
            Environment.SetEnvironmentVariable(AssetDownloader.MirrorEnvironmentVariable, null);
            Assert.IsNull(AssetDownloader.ResolveMirror());
        }
        finally { Environment.SetEnvironmentVariable(AssetDownloader.MirrorEnvironmentVariable, old); }
    }
}
