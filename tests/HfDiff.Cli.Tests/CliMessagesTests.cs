using System.Diagnostics;
using HfDiff.Tests.Common;
using HfDiff.Torch.Imaging;
using HfDiff.Torch.Pipelines;

namespace HfDiff.Cli.Tests;

/// <summary>CLI errors speak of CLI flags and files, in one message, and leave nothing behind.</summary>
[TestClass]
public class CliMessagesTests
{
    static string Samples => Path.Combine(TestPaths.RepositoryRoot() ?? throw new AssertFailedException("repository root not found"), "data", "samples");

    static void AssertNoApiWording(string err)
    {
        foreach (var api in new[] { "(Parameter", "Actual value was", "TileSize", "TileStride", "gtSize", "   at " })
            Assert.DoesNotContain(api, err, err);
    }

    [TestMethod]
    [DataRow("0")]
    [DataRow("1")]
    [DataRow("3")]
    public void Upscale_TileTooSmall_NamesTheFlagAndLeavesNoOutputFolder(string tile)
    {
        var work = CliHarness.TempDir("hfdiff-cli-msg");
        var output = Path.Combine(work, "out");
        var (exit, _, err) = CliHarness.Run("upscale", Path.Combine(Samples, "gt", "rings.png"), "--out", output, "--tile", tile, "--models", work);
        Assert.AreEqual(2, exit, err);
        StringAssert.Contains(err, $"--tile must be >= 64, the network's input multiple");
        StringAssert.Contains(err, $"got {tile}.");
        AssertNoApiWording(err);
        Assert.IsFalse(Directory.Exists(output), "no empty output folder");
    }

    [TestMethod]
    public void Upscale_NoCheckpoints_ListsBothFilesWithFetchCommandAndLeavesNoOutputFolder()
    {
        var work = CliHarness.TempDir("hfdiff-cli-msg");
        var output = Path.Combine(work, "out");
        var (exit, _, err) = CliHarness.Run("upscale", Path.Combine(Samples, "gt", "rings.png"), "--config", "sinsr", "--out", output, "--models", work);
        Assert.AreEqual(2, exit, err);
        StringAssert.Contains(err, "SinSR_v1.pth");
        StringAssert.Contains(err, "autoencoder_vq_f4.pth");
        StringAssert.Contains(err, $"hfdiff models fetch sinsr --models '{work}'");
        Assert.IsFalse(Directory.Exists(output), "no empty output folder");
    }

    [TestMethod]
    public void Upscale_MissingInputFile_ReportedAsMissingFile()
    {
        var missing = Path.Combine(Path.GetTempPath(), $"hfdiff-missing-{Guid.NewGuid():N}.png");
        var (exit, _, err) = CliHarness.Run("upscale", missing, "--out", Path.Combine(CliHarness.TempDir("hfdiff-cli-msg"), "out"));
        Assert.AreEqual(2, exit, err);
        StringAssert.Contains(err, $"File not found: '{missing}'");
        Assert.DoesNotContain("older", err);
    }

    [TestMethod]
    public void Score_DeviceAsInput_RefusedBeforeReading()
    {
        // /dev/zero "exists" with length 0 and never ends; reading it would hang and grow memory.
        if (!OperatingSystem.IsLinux()) Assert.Inconclusive("Skipped: /dev/zero is a Linux path.");
        var (exit, _, err) = CliHarness.Run("score", "--sr", "/dev/zero", "--gt", Path.Combine(Samples, "gt"), "--metrics", "psnr");
        Assert.AreEqual(2, exit, err);
        StringAssert.Contains(err, "'/dev/zero' is not a regular file");
    }

    [TestMethod]
    public void ImageIORead_Fifo_RefusedWithoutBlocking()
    {
        if (!OperatingSystem.IsLinux()) Assert.Inconclusive("Skipped: FIFOs are made with mkfifo on Linux.");
        var dir = CliHarness.TempDir("hfdiff-cli-fifo");
        var fifo = Path.Combine(dir, "pipe.png");
        using (var mk = Process.Start("mkfifo", [fifo])) mk.WaitForExit();
        Assert.IsTrue(File.Exists(fifo), "mkfifo failed");
        Assert.IsFalse(RegularFile.Check(fifo));
        // Guard against a regression that opens the FIFO (it would block forever without a writer).
        var read = Task.Run(() => Assert.ThrowsExactly<ImageDecodeException>(() => ImageIO.Read(fifo)));
        Assert.IsTrue(read.Wait(TimeSpan.FromSeconds(30)), "ImageIO.Read blocked on a FIFO");
        StringAssert.Contains(read.Result.Message, "not a regular file");
        Assert.IsTrue(RegularFile.Check(Path.Combine(Samples, "gt", "rings.png")));
    }

    [TestMethod]
    public void Degrade_GtSizeBelowDegradationMinimum_NamesFlagAndSmallestValue()
    {
        var work = CliHarness.TempDir("hfdiff-cli-msg");
        var (exit, _, err) = CliHarness.Run("degrade", "--in", Path.Combine(Samples, "gt"), "--out", Path.Combine(work, "pairs"), "--gt-size", "32");
        Assert.AreEqual(2, exit, err);
        StringAssert.Contains(err, "--gt-size 32 is too small for the degradation: the smallest is 76");
        AssertNoApiWording(err);
        Assert.IsFalse(Directory.Exists(Path.Combine(work, "pairs", "lq")), "nothing written");
    }

    [TestMethod]
    [DataRow(512, 448)]
    [DataRow(256, 224)]
    [DataRow(64, 56)]
    [DataRow(2, 1)]
    [DataRow(1, 1)]
    public void UpscaleTileStride_DefaultKeepsTheOfficialOverlapRatio(int tile, int stride)
    {
        foreach (bool bundled in new[] { false, true })
            Assert.AreEqual((tile, stride), SuperResolver.Tiles(new SuperResolverOptions { TileSize = tile }, bundled));
        Assert.AreEqual((512, 448), SuperResolver.Tiles(new SuperResolverOptions(), bundled: false));
        Assert.AreEqual((HfDiff.Torch.Assets.BundledModel.DefaultTileSize, HfDiff.Torch.Assets.BundledModel.DefaultTileStride),
            SuperResolver.Tiles(new SuperResolverOptions(), bundled: true));
        Assert.AreEqual((tile, 1), SuperResolver.Tiles(new SuperResolverOptions { TileSize = tile, TileStride = 1 }, bundled: false));
    }

    [TestMethod]
    public void Message_ArgumentOutOfRange_DropsDotNetSuffixesAndNamesFlags()
    {
        var e = new ArgumentOutOfRangeException("TileStride", 600, "TileStride must be in [1, TileSize = 512]; got 600.");
        Assert.AreEqual("--tile-stride must be in [1, --tile = 512]; got 600.", CliRunner.Message(e));
    }
}
