using System.Globalization;
using System.Security.Cryptography;
using HfDiff.Tests.Common;
using HfDiff.Torch.Imaging;
using HfDiff.Torch.Metrics;

namespace HfDiff.Cli.Tests;

[TestClass]
public class CliTests
{
    static string Samples => Path.Combine(TestPaths.RepositoryRoot() ?? throw new AssertFailedException("repository root not found"), "data", "samples");

    static (int Exit, string Out, string Err) Run(params string[] args) => CliHarness.Run(args);

    static string TempDir() => CliHarness.TempDir("hfdiff-cli");

    [TestMethod]
    public void Score_BundledSamples_CsvEqualsTorchMetrics()
    {
        var dir = TempDir();
        var csv = Path.Combine(dir, "scores.csv");
        var (exit, output, _) = Run("score", "--sr", Path.Combine(Samples, "sr"), "--gt", Path.Combine(Samples, "gt"),
            "--metrics", "psnr,ssim", "--y-channel", "--color-space", "ycbcr", "--crop-border", "2", "--csv", csv);
        Assert.AreEqual(0, exit, output);
        var lines = File.ReadAllLines(csv);
        Assert.AreEqual("image,psnr,ssim", lines[0]);
        var srFiles = Directory.GetFiles(Path.Combine(Samples, "sr"), "*.png").OrderBy(Path.GetFileName, StringComparer.Ordinal).ToList();
        Assert.AreEqual(srFiles.Count + 1, lines.Length);
        for (int i = 0; i < srFiles.Count; i++)
        {
            var cells = lines[i + 1].Split(',');
            Assert.AreEqual(Path.GetFileName(srFiles[i]), cells[0]);
            using var d = ImageIO.ReadTensor(srFiles[i]);
            using var r = ImageIO.ReadTensor(Path.Combine(Samples, "gt", Path.GetFileName(srFiles[i])));
            var psnr = Psnr.Compute(d, r, new PsnrOptions { TestYChannel = true, ColorSpace = YChannelColorSpace.YCbCr, CropBorder = 2 });
            var ssim = Ssim.Compute(d, r, new SsimOptions { TestYChannel = true, ColorSpace = YChannelColorSpace.YCbCr, CropBorder = 2 });
            Assert.AreEqual(psnr, double.Parse(cells[1], CultureInfo.InvariantCulture), 0, "psnr");
            Assert.AreEqual(ssim, double.Parse(cells[2], CultureInfo.InvariantCulture), 0, "ssim");
        }
        StringAssert.Contains(output, "psnr");
        Directory.Delete(dir, true);
    }

    [TestMethod]
    public void Score_ImageTooSmallForMetric_PerImageErrorNamingFileSizeAndMinimum()
    {
        var sr = TempDir();
        var gt = TempDir();
        using (var tiny = TorchSharp.torch.rand(1, 3, 8, 8))
        {
            ImageIO.WritePng(tiny, Path.Combine(sr, "tiny.png"));
            ImageIO.WritePng(tiny, Path.Combine(gt, "tiny.png"));
        }
        File.Copy(Path.Combine(Samples, "sr", "rings.png"), Path.Combine(sr, "rings.png"));
        File.Copy(Path.Combine(Samples, "gt", "rings.png"), Path.Combine(gt, "rings.png"));
        var (exit, output, err) = Run("score", "--sr", sr, "--gt", gt, "--metrics", "psnr,ssim");
        Assert.AreEqual(1, exit, err + output);
        StringAssert.Contains(err, "error: tiny.png: ssim needs images of at least 11×11 pixels (its 11×11 Gaussian window); got 8×8.");
        Assert.DoesNotContain("rings.png", err);
        StringAssert.Contains(output, "ssim");
    }

    /// <summary>A BasicSR-layout niqe_pris_params.npz (mean 0, identity covariance) in a new model directory.</summary>
    static string ModelsWithNiqeNpz()
    {
        static byte[] Npy(int[] shape, double[] values)
        {
            var header = $"{{'descr': '<f8', 'fortran_order': False, 'shape': ({string.Join(", ", shape)}{(shape.Length == 1 ? "," : "")}), }}";
            int total = 10 + header.Length + 1;
            header = header.PadRight(header.Length + (64 - total % 64) % 64) + "\n";
            using var ms = new MemoryStream();
            ms.Write([0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y', 1, 0]);
            ms.Write(BitConverter.GetBytes((ushort)header.Length));
            ms.Write(System.Text.Encoding.ASCII.GetBytes(header));
            foreach (var v in values) ms.Write(BitConverter.GetBytes(v));
            return ms.ToArray();
        }
        var models = TempDir();
        var cov = new double[36 * 36];
        for (int i = 0; i < 36; i++) cov[i * 36 + i] = 1;
        using var zip = System.IO.Compression.ZipFile.Open(Path.Combine(models, "niqe_pris_params.npz"), System.IO.Compression.ZipArchiveMode.Create);
        foreach (var (name, bytes) in new[] { ("mu_pris_param.npy", Npy([1, 36], new double[36])), ("cov_pris_param.npy", Npy([36, 36], cov)) })
        {
            using var entry = zip.CreateEntry(name).Open();
            entry.Write(bytes);
        }
        return models;
    }

    [TestMethod]
    public void Score_NiqeOnBundled128Samples_PerImageErrorNamingFileAndTwoBlockMinimum()
    {
        var (exit, output, err) = Run("score", "--sr", Path.Combine(Samples, "sr"), "--metrics", "niqe", "--models", ModelsWithNiqeNpz());
        Assert.AreEqual(1, exit, err + output);
        foreach (var file in new[] { "checks.png", "rings.png", "stripes.png" })
            StringAssert.Contains(err, $"error: {file}: niqe needs images with at least two 96×96 blocks, i.e. at least 96×192 or 192×96 pixels; got 128×128 (1 block).");
        StringAssert.Contains(err, "3 of 3 image(s) failed.");
    }

    [TestMethod]
    public void Score_MissingGtPartner_ExitsNonZeroListingIt()
    {
        var gt = TempDir();
        File.Copy(Path.Combine(Samples, "gt", "rings.png"), Path.Combine(gt, "rings.png"));
        var (exit, _, err) = Run("score", "--sr", Path.Combine(Samples, "sr"), "--gt", gt, "--metrics", "psnr");
        Assert.AreNotEqual(0, exit);
        StringAssert.Contains(err, "checks.png");
        StringAssert.Contains(err, "stripes.png");
        Assert.IsFalse(err.Contains("   at "), "no stack trace: " + err);
        Directory.Delete(gt, true);
    }

    [TestMethod]
    [DataRow("1")]
    [DataRow("3")]
    public void Score_CorruptImage_OthersScoredExitNonZero(string batchSize)
    {
        var sr = TempDir();
        foreach (var f in Directory.GetFiles(Path.Combine(Samples, "sr"))) File.Copy(f, Path.Combine(sr, Path.GetFileName(f)));
        File.WriteAllText(Path.Combine(sr, "rings.png"), "not a png");
        var csv = Path.Combine(sr, "out.csv");
        var (exit, _, err) = Run("score", "--sr", sr, "--gt", Path.Combine(Samples, "gt"), "--metrics", "psnr", "--csv", csv, "--batch-size", batchSize);
        Assert.AreEqual(1, exit);
        StringAssert.Contains(err, "rings.png");
        var rows = File.ReadAllLines(csv).Skip(1).ToDictionary(l => l.Split(',')[0], l => l.Split(',')[1]);
        Assert.AreEqual("", rows["rings.png"]);
        Assert.IsTrue(double.Parse(rows["checks.png"], CultureInfo.InvariantCulture) > 10);
        Assert.IsTrue(double.Parse(rows["stripes.png"], CultureInfo.InvariantCulture) > 10);
        Directory.Delete(sr, true);
    }

    [TestMethod]
    public void Score_OneByteShortImage_OthersScoredBadFileNamedExit1()
    {
        // Issue #16: a PNG one byte short (IEND cut) used to decode silently; now it is refused and named.
        var sr = TempDir();
        foreach (var f in Directory.GetFiles(Path.Combine(Samples, "sr"))) File.Copy(f, Path.Combine(sr, Path.GetFileName(f)));
        var bad = Path.Combine(sr, "rings.png");
        var bytes = File.ReadAllBytes(bad);
        File.WriteAllBytes(bad, bytes[..^1]);
        var csv = Path.Combine(sr, "out.csv");
        var (exit, _, err) = Run("score", "--sr", sr, "--gt", Path.Combine(Samples, "gt"), "--metrics", "psnr,ssim", "--csv", csv);
        Assert.AreEqual(1, exit, err);
        StringAssert.Contains(err, bad);
        StringAssert.Contains(err, "truncated");
        Assert.IsFalse(err.Contains("   at "), "no stack trace: " + err);
        var rows = File.ReadAllLines(csv).Skip(1).ToDictionary(l => l.Split(',')[0], l => l.Split(',')[1]);
        Assert.AreEqual("", rows["rings.png"]);
        Assert.IsTrue(double.Parse(rows["checks.png"], CultureInfo.InvariantCulture) > 10);
        Assert.IsTrue(double.Parse(rows["stripes.png"], CultureInfo.InvariantCulture) > 10);
        Directory.Delete(sr, true);
    }

    [TestMethod]
    public void Score_NiqeWithoutParameters_ErrorNamesFileAndSource()
    {
        var models = TempDir();
        var (exit, _, err) = Run("score", "--sr", Path.Combine(Samples, "sr"), "--metrics", "niqe", "--models", models);
        Assert.AreEqual(2, exit);
        StringAssert.Contains(err, "niqe_modelparameters.mat");
        StringAssert.Contains(err, "niqe_pris_params.npz");
        StringAssert.Contains(err, "https://");
        Directory.Delete(models, true);
    }

    static string Hash(string path) => Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(path)));

    [TestMethod]
    public void Degrade_SameSeed_SameBytes_OtherSeedDiffers()
    {
        var hr = TempDir();
        File.Copy(Path.Combine(Samples, "gt", "rings.png"), Path.Combine(hr, "rings.png"));
        string a = TempDir(), b = TempDir(), c = TempDir();
        Assert.AreEqual(0, Run("degrade", "--in", hr, "--out", a, "--seed", "5", "--gt-size", "128").Exit);
        Assert.AreEqual(0, Run("degrade", "--in", hr, "--out", b, "--seed", "5", "--gt-size", "128").Exit);
        Assert.AreEqual(0, Run("degrade", "--in", hr, "--out", c, "--seed", "6", "--gt-size", "128").Exit);
        Assert.AreEqual(Hash(Path.Combine(a, "lq", "rings.png")), Hash(Path.Combine(b, "lq", "rings.png")));
        Assert.AreEqual(Hash(Path.Combine(a, "gt", "rings.png")), Hash(Path.Combine(b, "gt", "rings.png")));
        Assert.AreNotEqual(Hash(Path.Combine(a, "lq", "rings.png")), Hash(Path.Combine(c, "lq", "rings.png")));
        var lq = ImageIO.Read(Path.Combine(a, "lq", "rings.png"));
        Assert.AreEqual(32, lq.Width); Assert.AreEqual(32, lq.Height);
        foreach (var d in new[] { hr, a, b, c }) Directory.Delete(d, true);
    }

    [TestMethod]
    public void Degrade_BadGtSize_UsageError()
    {
        var (exit, _, err) = Run("degrade", "--in", Samples, "--out", TempDir(), "--gt-size", "130");
        Assert.AreEqual(2, exit);
        StringAssert.Contains(err, "multiple of the scale");
    }

    [TestMethod]
    public void Upscale_MissingCheckpoints_ErrorNamesFiles()
    {
        var models = TempDir();
        var (exit, _, err) = Run("upscale", Path.Combine(Samples, "sr", "rings.png"), "--config", "sinsr", "--out", TempDir(), "--models", models);
        Assert.AreEqual(2, exit);
        StringAssert.Contains(err, "SinSR_v1.pth");
        Directory.Delete(models, true);
    }

    /// <summary>The README's main job: the bundled model on the bundled photo samples, offline, then scoring the result.</summary>
    [TestMethod]
    [TestCategory("BundledModel")]
    public void Upscale_WithoutOfficialFiles_RunsTheBundledModelAndSaysSo()
    {
        var models = TempDir();
        var output = TempDir();
        var lrDir = Path.Combine(Samples, "photos", "lr");
        var (exit, stdout, err) = Run("upscale", lrDir, "--out", output, "--models", models);
        Assert.AreEqual(0, exit, stdout + err);
        StringAssert.StartsWith(stdout, "model: bundled hfdiff-tiny", "the first line says which model runs");
        foreach (var lr in Directory.GetFiles(lrDir, "*.png"))
        {
            var small = ImageIO.Read(lr);
            var large = ImageIO.Read(Path.Combine(output, Path.GetFileName(lr)));
            Assert.AreEqual((4 * small.Width, 4 * small.Height), (large.Width, large.Height), lr);
        }
        var csv = Path.Combine(TempDir(), "scores.csv");
        var (scoreExit, scores, scoreErr) = Run("score", "--sr", output, "--gt", Path.Combine(Samples, "photos", "gt"), "--metrics", "psnr,ssim", "--csv", csv);
        Assert.AreEqual(0, scoreExit, scores + scoreErr);
        var rows = File.ReadAllLines(csv);
        Assert.AreEqual("image,psnr,ssim", rows[0]);
        CollectionAssert.AreEquivalent(new[] { "chelsea.png", "coffee.png" }, rows.Skip(1).Select(r => r.Split(',')[0]).ToArray());
    }

    [TestMethod]
    public void ModelsList_EmptyDirectory_ShowsEveryAssetMissing()
    {
        var models = TempDir();
        var (exit, output, _) = Run("models", "list", "--models", models);
        Assert.AreEqual(0, exit);
        foreach (var asset in HfDiff.Torch.Assets.KnownAssets.All)
            StringAssert.Contains(output, asset.FileName);
        Assert.IsFalse(output.Contains("present "), output);
        Directory.Delete(models, true);
    }
}
