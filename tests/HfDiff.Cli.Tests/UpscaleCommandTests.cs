using HfDiff.Tests.Common;
using HfDiff.Torch.Imaging;
using HfDiff.Torch.Pipelines;

namespace HfDiff.Cli.Tests;

/// <summary>
/// <c>hfdiff upscale</c> with the ResShift fixture's reduced networks, configured through an official-layout YAML built from
/// the fixture's config.json (constructor kwargs, diffusion settings, file names).
/// </summary>
[TestClass]
public class UpscaleCommandTests
{
    sealed record Setup(string Yaml, string Unet, string Vq, string Input, string Samples);

    static Setup Prepare()
    {
        var dir = TestPaths.Fixture("resshift");
        var cfg = TestPaths.ReadConfig(dir);
        var a = cfg.GetProperty("resshift_unet_A");
        var ae = cfg.GetProperty("autoencoder");
        string yaml =
            "model:\n  target: models.unet.UNetModelSwin\n  ckpt_path: ~\n  params: " + a.GetProperty("resshift_kwargs").GetRawText() + "\n" +
            "diffusion:\n  target: " + cfg.GetProperty("diffusion").GetProperty("target").GetString() + "\n  params: " + cfg.GetProperty("diffusion").GetProperty("kwargs").GetRawText() + "\n" +
            "autoencoder:\n  target: ldm.models.autoencoder.VQModelTorch\n  ckpt_path: ~\n  params: " + ae.GetProperty("kwargs").GetRawText() + "\n";
        var work = CliHarness.TempDir("hfdiff-cli-upscale");
        var yamlPath = Path.Combine(work, "reduced.yaml");
        File.WriteAllText(yamlPath, yaml);
        var inputs = Directory.CreateDirectory(Path.Combine(work, "in")).FullName;
        var root = TestPaths.RepositoryRoot() ?? throw new AssertFailedException("repository root not found");
        using (var img = ImageIO.ReadTensor(Path.Combine(root, "data", "samples", "gt", "stripes.png")))
        using (var crop = img[.., .., 8..28, 4..36])
            ImageIO.WritePng(crop, Path.Combine(inputs, "lr.png"));
        return new Setup(yamlPath, Path.Combine(dir, a.GetProperty("file").GetString()!), Path.Combine(dir, ae.GetProperty("file").GetString()!), inputs, work);
    }

    [TestMethod]
    [TestCategory("Parity.ResShift")]
    public void Upscale_OneStep_WritesFourTimesImageEqualToSuperResolver_AndProtectsExistingOutputs()
    {
        var s = Prepare();
        var output = Path.Combine(s.Samples, "out");
        string[] Args(params string[] extra) => ["upscale", s.Input, "--out", output, "--config", s.Yaml, "--unet", s.Unet, "--autoencoder", s.Vq, "--steps", "1", "--seed", "9", .. extra];

        var first = CliHarness.Run(Args());
        Assert.AreEqual(0, first.Exit, first.Err + first.Out);
        StringAssert.Contains(first.Out, "lr.png -> lr.png: encode ");   // timings as a readable line, not a raw record
        Assert.DoesNotContain("SuperResolverTimings", first.Out + first.Err);
        var written = ImageIO.Read(Path.Combine(output, "lr.png"));
        var lr = ImageIO.Read(Path.Combine(s.Input, "lr.png"));
        Assert.AreEqual(4 * lr.Width, written.Width);
        Assert.AreEqual(4 * lr.Height, written.Height);
        using (var resolver = new SuperResolver(new SuperResolverOptions { Config = s.Yaml, UnetCheckpoint = s.Unet, AutoencoderCheckpoint = s.Vq, Steps = 1, Seed = 9 }))
        using (var lrTensor = lr.ToTensor())
        using (var expected = resolver.SuperResolve(lrTensor))
        {
            var (bytes, _, _) = ImageIO.ToRgb24(expected);
            var (got, _, _) = ImageIO.ToRgb24(written.ToTensor());
            CollectionAssert.AreEqual(bytes, got, "CLI output equals SuperResolver at the same seed");
        }

        var again = CliHarness.Run(Args());
        Assert.AreEqual(1, again.Exit, "an existing output is refused");
        StringAssert.Contains(again.Err, "--overwrite");
        Assert.AreEqual(0, CliHarness.Run(Args("--skip-existing")).Exit);
        Assert.AreEqual(0, CliHarness.Run(Args("--overwrite")).Exit);
        Assert.AreEqual(0, Directory.GetFiles(output, "*.tmp").Length + Directory.GetFiles(output, ".*").Length, "no temporary files left");

        // --channels-last: the VQGAN on channels-last maps gives the same image up to float rounding.
        var channelsLast = Path.Combine(s.Samples, "channels-last");
        var cl = CliHarness.Run(["upscale", s.Input, "--out", channelsLast, "--config", s.Yaml, "--unet", s.Unet, "--autoencoder", s.Vq, "--steps", "1", "--seed", "9", "--channels-last"]);
        Assert.AreEqual(0, cl.Exit, cl.Err + cl.Out);
        var (nchwBytes, _, _) = ImageIO.ToRgb24(ImageIO.Read(Path.Combine(output, "lr.png")).ToTensor());
        var (clBytes, _, _) = ImageIO.ToRgb24(ImageIO.Read(Path.Combine(channelsLast, "lr.png")).ToTensor());
        Assert.AreEqual(nchwBytes.Length, clBytes.Length);
        int worst = nchwBytes.Zip(clBytes, (p, q) => Math.Abs(p - q)).Max();
        Assert.IsTrue(worst <= 1, $"--channels-last output differs from NCHW by {worst} levels");
        Directory.Delete(s.Samples, true);
    }

    [TestMethod]
    [TestCategory("Parity.ResShift")]
    public void Upscale_BatchSize_SameOutputsAsOneByOne_BadInputStillReportedAlone()
    {
        var s = Prepare();
        var root = TestPaths.RepositoryRoot()!;
        using (var img = ImageIO.ReadTensor(Path.Combine(root, "data", "samples", "gt", "stripes.png")))
        {
            using (var a = img[.., .., 30..50, 4..36]) ImageIO.WritePng(a, Path.Combine(s.Input, "same_size.png"));   // as lr.png
            using (var b = img[.., .., 0..24, 0..24]) ImageIO.WritePng(b, Path.Combine(s.Input, "other_size.png"));
        }
        File.WriteAllBytes(Path.Combine(s.Input, "broken.png"), [0x89, 0x50, 0x4E, 0x47, 1, 2, 3]);
        string[] Args(string output, string batch) =>
            ["upscale", s.Input, "--out", output, "--config", s.Yaml, "--unet", s.Unet, "--autoencoder", s.Vq, "--steps", "1", "--seed", "9", "--batch-size", batch];
        var one = Path.Combine(s.Samples, "one");
        var four = Path.Combine(s.Samples, "four");
        var r1 = CliHarness.Run(Args(one, "1"));
        var r4 = CliHarness.Run(Args(four, "4"));
        Assert.AreEqual(1, r4.Exit, "the broken input makes the run fail");
        StringAssert.Contains(r4.Err, "broken.png");
        StringAssert.Contains(r4.Out, "(batch of 2)");
        StringAssert.Contains(r4.Out, "3 written, 0 skipped, 1 failed");
        Assert.AreEqual(r1.Exit, r4.Exit);
        foreach (var name in new[] { "lr.png", "same_size.png", "other_size.png" })
        {
            var (x, _, _) = ImageIO.ToRgb24(ImageIO.Read(Path.Combine(one, name)).ToTensor());
            var (y, _, _) = ImageIO.ToRgb24(ImageIO.Read(Path.Combine(four, name)).ToTensor());
            Assert.AreEqual(x.Length, y.Length);
            int worst = x.Zip(y, (p, q) => Math.Abs(p - q)).Max();
            Assert.IsTrue(worst <= 1, $"{name}: batched output differs from one-by-one by {worst} levels");
        }
        var zero = CliHarness.Run(["upscale", s.Input, "--out", four, "--batch-size", "0"]);
        Assert.AreNotEqual(0, zero.Exit);
        StringAssert.Contains(zero.Err, "--batch-size must be >= 1");
        Directory.Delete(s.Samples, true);
    }

    [TestMethod]
    [TestCategory("Parity.ResShift")]
    public void Upscale_CorruptInput_ReportedOthersWritten()
    {
        var s = Prepare();
        File.WriteAllText(Path.Combine(s.Input, "broken.png"), "not an image");
        var output = Path.Combine(s.Samples, "out");
        var r = CliHarness.Run("upscale", s.Input, "--out", output, "--config", s.Yaml, "--unet", s.Unet, "--autoencoder", s.Vq, "--steps", "1");
        Assert.AreEqual(1, r.Exit);
        StringAssert.Contains(r.Err, "broken.png");
        Assert.IsTrue(File.Exists(Path.Combine(output, "lr.png")));
        Assert.IsFalse(File.Exists(Path.Combine(output, "broken.png")));
        Directory.Delete(s.Samples, true);
    }
}
