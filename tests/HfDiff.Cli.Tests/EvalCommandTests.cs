using System.Diagnostics;
using System.Globalization;
using HfDiff.Tests.Common;
using HfDiff.Torch.Imaging;
using static TorchSharp.torch;

namespace HfDiff.Cli.Tests;

[TestClass]
public class EvalCommandTests
{
    static (int Exit, string Out, string Err) Run(params string[] args) => CliHarness.Run(args);

    static Dictionary<string, Dictionary<string, double>> ReadCsv(string path, Func<string, string>? key = null)
    {
        var lines = File.ReadAllLines(path);
        var header = lines[0].Split(',');
        return lines.Skip(1).Where(l => l.Length > 0).Select(l => l.Split(',')).ToDictionary(
            f => (key ?? (s => s))(f[0]),
            f => Enumerable.Range(1, header.Length - 1).Where(i => f[i].Length > 0)
                .ToDictionary(i => header[i], i => double.Parse(f[i], CultureInfo.InvariantCulture)));
    }

    /// <summary>A small LR/GT set: smooth random GT images and their 4×-box-downscaled LR, as PNG.</summary>
    static string SyntheticDataset(int count, int lrSize = 24, int seed = 1)
    {
        var dir = CliHarness.TempDir("hfdiff-eval-data");
        Directory.CreateDirectory(Path.Combine(dir, "lr"));
        Directory.CreateDirectory(Path.Combine(dir, "gt"));
        var g = new Generator((ulong)seed);
        for (int i = 0; i < count; i++)
        {
            using var scope = NewDisposeScope();
            var coarse = rand([1, 3, lrSize / 2, lrSize / 2], generator: g);
            var gt = nn.functional.interpolate(coarse, [lrSize * 4, lrSize * 4], mode: InterpolationMode.Bilinear, align_corners: false);
            var lr = nn.functional.avg_pool2d(gt, 4);
            ImageIO.WritePng(gt, Path.Combine(dir, "gt", $"img{i:D2}.png"));
            ImageIO.WritePng(lr, Path.Combine(dir, "lr", $"img{i:D2}.png"));
        }
        return dir;
    }

    [TestMethod, TestCategory("Parity.Eval")]
    public void Eval_OsediffOutputsAndBicubic_ReproducePublishedPerImageScores()
    {
        var data = TestPaths.Data("realsr-osediff");
        var models = CliHarness.TempDir("hfdiff-eval-models");
        using (var t = new FixtureTensors(Path.Combine(TestPaths.Fixture("iqa"), "niqe_pris_params.safetensors")))
            NpyWriter.WriteNiqeNpz(Path.Combine(models, "niqe_pris_params.npz"),
                t["mu_pris_param"].to_type(ScalarType.Float64).data<double>().ToArray(),
                t["cov_pris_param"].to_type(ScalarType.Float64).contiguous().data<double>().ToArray());
        var output = CliHarness.TempDir("hfdiff-eval-out");
        var (exit, stdout, err) = Run("eval", "--model", $"osediff={Path.Combine(data, "sr")}", "--model", "bicubic=bicubic",
            "--dataset", $"realsr={data}", "--out", output, "--metrics", "psnr,ssim,niqe", "--models", models, "--timing-size", "16");
        Assert.AreEqual(0, exit, err + stdout);

        // OSEDiff's published per-image pyiqa numbers (metrics.csv): our scores of its SR images, through the command.
        var published = ReadCsv(Path.Combine(data, "metrics.csv"), Path.GetFileNameWithoutExtension);
        var ours = ReadCsv(Path.Combine(output, "scores", "realsr", "osediff.csv"));
        CollectionAssert.AreEquivalent(published.Keys.ToList(), ours.Keys.ToList());
        var niqeGaps = new List<double>();
        foreach (var (image, row) in published)
        {
            Assert.AreEqual(row["psnr"], ours[image]["psnr"], 1e-4, $"{image} psnr");
            Assert.AreEqual(row["ssim"], ours[image]["ssim"], 1e-5, $"{image} ssim");
            niqeGaps.Add(Math.Abs(row["niqe"] - ours[image]["niqe"]));
        }
        niqeGaps.Sort();
        // NIQE tolerance as in NiqeTests (pyiqa version differences): every image within 0.02, median within 2e-3.
        Console.WriteLine($"NIQE |Δ| max {niqeGaps[^1]:E2}, median {niqeGaps[niqeGaps.Count / 2]:E2}");
        Assert.IsTrue(niqeGaps[^1] <= 0.02 && niqeGaps[niqeGaps.Count / 2] <= 2e-3, $"NIQE |Δ| max {niqeGaps[^1]:E2}");

        // The table's means are the means of the per-image scores; bicubic matches the PIL-bicubic figures measured for
        // issue #11 on the same images (PSNR 26.72 dB, SSIM 0.7185, NIQE 8.93).
        var table = ReadCsv(Path.Combine(output, "table.csv"));
        Assert.AreEqual(published.Values.Average(r => r["psnr"]), table["osediff"]["realsr/psnr"], 1e-4);
        Assert.AreEqual(24, table["osediff"]["realsr/psnr/n"]);
        Assert.AreEqual(26.72, table["bicubic"]["realsr/psnr"], 0.005);
        Assert.AreEqual(0.7185, table["bicubic"]["realsr/ssim"], 5e-5);
        Assert.AreEqual(8.93, table["bicubic"]["realsr/niqe"], 0.005);
        var md = File.ReadAllText(Path.Combine(output, "table.md"));
        StringAssert.Contains(md, "| bicubic | **26.72** |");
        StringAssert.Contains(md, "realsr PSNR↑");
        StringAssert.Contains(md, "realsr NIQE↓");
        Assert.IsTrue(File.Exists(Path.Combine(output, "sr", "realsr", "bicubic", "Canon_002_LR4.png")));
        Assert.IsTrue(File.Exists(Path.Combine(output, "report.html")));
        StringAssert.Contains(File.ReadAllText(Path.Combine(output, "timing.md")), "| bicubic |");
    }

    [TestMethod]
    public void Eval_SecondRun_ReusesFinishedImagesAndScoresAndRedoesOnlyWhatIsMissing()
    {
        var data = SyntheticDataset(3);
        var output = CliHarness.TempDir("hfdiff-eval-out");
        string[] args = ["eval", "--model", "bic=bicubic", "--dataset", $"syn={data}", "--out", output, "--metrics", "psnr,ssim", "--timing-size", "0"];
        var (exit, o, e) = Run(args);
        Assert.AreEqual(0, exit, e + o);
        var srDir = Path.Combine(output, "sr", "syn", "bic");
        var csv = Path.Combine(output, "scores", "syn", "bic.csv");
        var first = File.ReadAllText(csv);
        var stamps = Directory.GetFiles(srDir).ToDictionary(f => f, File.GetLastWriteTimeUtc);
        Assert.AreEqual(3, stamps.Count);

        // A run killed before img01 was written and before img02's ssim was recorded.
        File.Delete(Path.Combine(srDir, "img01.png"));
        var lines = File.ReadAllLines(csv);
        lines[3] = string.Join(',', lines[3].Split(',')[..2]) + ",";
        File.WriteAllLines(csv, lines);
        Thread.Sleep(20);
        (exit, o, e) = Run(args);
        Assert.AreEqual(0, exit, e + o);
        Assert.AreEqual(first, File.ReadAllText(csv), "every score restored, the others reused");
        Assert.AreEqual(stamps[Path.Combine(srDir, "img00.png")], File.GetLastWriteTimeUtc(Path.Combine(srDir, "img00.png")), "img00 not recomputed");
        Assert.IsTrue(File.Exists(Path.Combine(srDir, "img01.png")), "img01 made again");
    }

    [TestMethod]
    public void Eval_ShardsInSeparateProcesses_MergeEqualsSingleRun()
    {
        var data = SyntheticDataset(5, seed: 2);
        var single = CliHarness.TempDir("hfdiff-eval-single");
        var sharded = CliHarness.TempDir("hfdiff-eval-sharded");
        string[] common = ["--model", "bic=bicubic", "--dataset", $"syn={data}", "--metrics", "psnr,ssim", "--timing-size", "0"];
        var (exit, o, e) = Run(["eval", .. common, "--out", single]);
        Assert.AreEqual(0, exit, e + o);

        var hfdiff = typeof(HfDiffCli).Assembly.Location;
        for (int i = 0; i < 3; i++)
        {
            // The index comes from the Kubernetes variable, the count from ours (as the Indexed Job manifest sets them).
            var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
            foreach (var a in new[] { hfdiff, "eval" }.Concat(common).Concat(["--out", sharded])) psi.ArgumentList.Add(a);
            psi.Environment["JOB_COMPLETION_INDEX"] = i.ToString(CultureInfo.InvariantCulture);
            psi.Environment["HFDIFF_SHARD_COUNT"] = "3";
            using var p = Process.Start(psi)!;
            var so = p.StandardOutput.ReadToEndAsync();
            var se = p.StandardError.ReadToEnd();
            Assert.IsTrue(p.WaitForExit(300_000), "shard timed out");
            Assert.AreEqual(0, p.ExitCode, $"shard {i}: {se}{so.Result}");
            StringAssert.Contains(so.Result, $"shard {i}/3 done");
        }
        Assert.IsFalse(File.Exists(Path.Combine(sharded, "table.csv")), "no table before merge");
        Assert.AreEqual(3, Directory.GetFiles(Path.Combine(sharded, "scores", "syn"), "bic.shard-*.csv").Length);
        (exit, o, e) = Run("eval", "merge", "--out", sharded);
        Assert.AreEqual(0, exit, e + o);
        Assert.AreEqual(File.ReadAllText(Path.Combine(single, "table.csv")), File.ReadAllText(Path.Combine(sharded, "table.csv")));
        Assert.AreEqual(File.ReadAllText(Path.Combine(single, "table.md")), File.ReadAllText(Path.Combine(sharded, "table.md")));
    }

    [TestMethod]
    public void Eval_ModelsNamedAfterAblationRows_WriteTable4InThePapersOrder()
    {
        var data = SyntheticDataset(2, seed: 6);
        var output = CliHarness.TempDir("hfdiff-eval-out");
        // Stand-ins for trained ablation runs: the layout, not the numbers, is under test.
        var (exit, o, e) = Run("eval", "--model", "hf-dm=bicubic", "--model", "sinsr=bicubic", "--model", "dm=bicubic", "--dataset", $"syn={data}",
            "--out", output, "--metrics", "psnr,ssim", "--timing-size", "0");
        Assert.AreEqual(0, exit, e + o);
        var lines = File.ReadAllLines(Path.Combine(output, "table4.md"));
        var rows = lines.Where(l => l.StartsWith("| ", StringComparison.Ordinal) && !l.StartsWith("| Variant", StringComparison.Ordinal)).ToList();
        CollectionAssert.AreEqual(new[] { "Baseline (SinSR)", "DM only", "HF + DM" }, rows.Select(l => l.Split('|')[1].Trim()).ToArray());
        StringAssert.Contains(lines.First(l => l.StartsWith("| Variant", StringComparison.Ordinal)), "PSNR↑");
        // Without two ablation-named models there is no Table 4.
        var other = CliHarness.TempDir("hfdiff-eval-out");
        (exit, _, _) = Run("eval", "--model", "bic=bicubic", "--dataset", $"syn={data}", "--out", other, "--metrics", "psnr", "--timing-size", "0");
        Assert.AreEqual(0, exit);
        Assert.IsFalse(File.Exists(Path.Combine(other, "table4.md")));
    }

    [TestMethod]
    public void Eval_MergeWithAShardMissing_ThrowsNamingIt()
    {
        var data = SyntheticDataset(2, seed: 3);
        var output = CliHarness.TempDir("hfdiff-eval-sharded");
        var (exit, o, e) = Run("eval", "--model", "bic=bicubic", "--dataset", $"syn={data}", "--out", output, "--metrics", "psnr", "--shard", "1/2", "--timing-size", "0");
        Assert.AreEqual(0, exit, e + o);
        (exit, _, e) = Run("eval", "merge", "--out", output);
        Assert.AreEqual(2, exit);
        StringAssert.Contains(e, "shards 0 of 2 have not been written");
    }

    [TestMethod]
    public void Eval_BadArguments_OneLineErrors()
    {
        var data = SyntheticDataset(1, seed: 4);
        var output = CliHarness.TempDir("hfdiff-eval-out");
        var cases = new (string[] Args, string Expected)[]
        {
            (["--model", "bic=bicubic", "--dataset", $"syn={data}", "--shard", "2/2"], "--shard must be i/N with 0 <= i < N; got '2/2'"),
            (["--model", "bic", "--dataset", $"syn={data}"], "--model takes NAME=SPEC; got 'bic'"),
            (["--model", "bic=nothing-like-this", "--dataset", $"syn={data}"], "is neither bicubic"),
            (["--model", "bic=bicubic", "--dataset", "syn=/no/such/folder"], "does not exist"),
            (["--model", "bic=bicubic", "--dataset", $"syn={data}", "--metrics", "psnr,notametric"], "Unknown metric 'notametric'"),
            (["--model", "a b=bicubic", "--dataset", $"syn={data}"], "must be letters, digits"),
        };
        foreach (var (args, expected) in cases)
        {
            var (exit, _, err) = Run(["eval", .. args, "--out", output, "--timing-size", "0"]);
            Assert.AreEqual(2, exit, string.Join(' ', args));
            StringAssert.Contains(err, expected);
            Assert.AreEqual(1, err.Trim().Split('\n').Length, $"one line: {err}");
        }
    }

    [TestMethod]
    public void Report_OpensInHeadlessChromium_TablesChartsAndViewerRender()
    {
        const string chromium = "/usr/bin/chromium";
        if (!File.Exists(chromium)) Assert.Inconclusive("Skipped: Debian's chromium is not installed (apt-get install chromium).");
        var data = SyntheticDataset(2, seed: 5);
        var output = CliHarness.TempDir("hfdiff-eval-out");
        var (exit, o, e) = Run("eval", "--model", "bic=bicubic", "--model", "bic2=bicubic", "--dataset", $"syn={data}", "--out", output,
            "--metrics", "psnr,ssim", "--timing-size", "16", "--timing-runs", "1");
        Assert.AreEqual(0, exit, e + o);
        var report = Path.Combine(output, "report.html");
        var shot = Path.Combine(output, "shot.png");
        var (dom, log) = Chromium(chromium, output, "--dump-dom", "file://" + report);
        StringAssert.Contains(dom, "<table class=\"results\">");
        StringAssert.Contains(dom, "class=\"panel\"", "the viewer script built the image panels");
        Assert.AreEqual(4, dom.Split("class=\"panel\"").Length - 1, "LR, two models, GT");
        Assert.IsFalse(log.Contains("Uncaught", StringComparison.Ordinal) || log.Contains("Not allowed to load", StringComparison.Ordinal), log);
        Chromium(chromium, output, $"--screenshot={shot}", "--window-size=1200,1600", "file://" + report);
        using var img = ImageIO.ReadTensor(shot);
        double std = img.std().item<float>();
        Assert.IsTrue(std > 0.02, $"screenshot is blank (std {std})");
    }

    static (string Out, string Err) Chromium(string exe, string workDir, params string[] args)
    {
        var psi = new ProcessStartInfo(exe) { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = workDir };
        foreach (var a in new[] { "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                     "--disable-component-update", "--disable-sync", "--allow-file-access-from-files", "--enable-logging=stderr", "--v=0",
                     $"--user-data-dir={Path.Combine(workDir, "chrome-profile")}", "--virtual-time-budget=3000" }.Concat(args))
            psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var so = p.StandardOutput.ReadToEndAsync();
        var se = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(120_000)) { p.Kill(true); Assert.Fail("chromium timed out"); }
        return (so.Result, se.Result);
    }
}
