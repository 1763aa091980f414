using HfDiff.Tests.Common;

namespace HfDiff.Cli.Tests;

/// <summary>Smoke tests of the benchmark subcommands at tiny sizes: they run and name every item (no timing assertions).</summary>
[TestClass]
public class BenchCommandTests
{
    static (int Exit, string Out, string Err) Run(params string[] args) => CliHarness.Run(args);

    static string TempDir() => CliHarness.TempDir("hfdiff-cli-bench");

    static void AssertTimedLine(string output, string item, string unit)
    {
        var line = output.Split('\n').FirstOrDefault(l => l.StartsWith(item + " ", StringComparison.Ordinal));
        Assert.IsNotNull(line, $"no line for '{item}' in:\n{output}");
        StringAssert.Contains(line, "median", output);
        StringAssert.Contains(line, unit, output);
    }

    /// <summary>Both precisions are timed in one run on the bundled architecture (random weights), the second with its speed ratio.</summary>
    [TestMethod]
    public void BenchSr_TwoPrecisions_TimesBothInOneRun()
    {
        var (exit, output, err) = Run("bench", "sr", "--arch", "hfdiff-tiny", "--lr-size", "64", "--runs", "1", "--precision", "fp32,bf16");
        Assert.AreEqual(0, exit, err + output);
        StringAssert.Contains(output, "[fp32]");
        StringAssert.Contains(output, "[bf16]");
        StringAssert.Contains(output, "x the first configuration's speed");
        var (bad, _, badErr) = Run("bench", "sr", "--arch", "hfdiff-tiny", "--runs", "1", "--precision", "fp32,fp8");
        Assert.AreEqual(2, bad);
        StringAssert.Contains(badErr, "--precision");
    }

    /// <summary>
    /// The CLI keeps freed feature maps in the heap (<see cref="HfDiff.Torch.HeapReuse"/>): a child process timing the
    /// bundled architecture at 160² LR (its 640² maps are 50 MiB, above glibc's largest adaptive mmap threshold) takes a
    /// small fraction of the page faults per run that it takes with <c>HFDIFF_HEAP_REUSE=0</c>.
    /// </summary>
    [TestMethod]
    public void BenchSr_HeapReuse_CutsPageFaultsPerRun()
    {
        if (HfDiff.Torch.HeapReuse.DisabledReason() is { } reason) Assert.Inconclusive($"heap reuse is off here: {reason}");
        long Faults(string setting)
        {
            var env = new Dictionary<string, string?> { [HfDiff.Torch.HeapReuse.DisableVariable] = setting };
            var (exit, output, err) = CliProcess.Run(env, "bench", "sr", "--arch", "hfdiff-tiny", "--lr-size", "160", "--runs", "1", "--threads", "1");
            Assert.AreEqual(0, exit, err + output);
            var line = output.Split('\n').FirstOrDefault(l => l.TrimStart().StartsWith("faults ", StringComparison.Ordinal));
            Assert.IsNotNull(line, $"no page-fault line in:\n{output}");
            StringAssert.Contains(line, setting == "0" ? "(heap reuse off)" : "(heap reuse on)", output);
            return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], System.Globalization.CultureInfo.InvariantCulture);
        }
        long off = Faults("0"), on = Faults("1");
        // Without reuse every pass maps and zeroes its large maps again (tens of thousands of 4 KiB pages).
        Assert.IsGreaterThan(10_000L, off, $"only {off} faults per run without heap reuse: the test no longer exercises large maps");
        Assert.IsLessThan(off / 4, on, $"{on} faults per run with heap reuse against {off} without");
    }

    /// <summary>Both VQGAN layouts are timed in one run, the second with its speed ratio; an unknown layout is a usage error.</summary>
    [TestMethod]
    public void BenchSr_TwoLayouts_TimesBothInOneRun()
    {
        var (exit, output, err) = Run("bench", "sr", "--arch", "hfdiff-tiny", "--lr-size", "32", "--runs", "1", "--layout", "nchw,channels-last");
        Assert.AreEqual(0, exit, err + output);
        StringAssert.Contains(output, "[fp32, nchw]");
        StringAssert.Contains(output, "[fp32, channels-last]");
        StringAssert.Contains(output, "x the first configuration's speed");
        var (bad, _, badErr) = Run("bench", "sr", "--arch", "hfdiff-tiny", "--runs", "1", "--layout", "nhwc");
        Assert.AreEqual(2, bad);
        StringAssert.Contains(badErr, "--layout");
    }

    /// <summary>A tiled input names its tile count (128 LR in tiles of 64, stride 56: starts 0, 56, 64 → 3 × 3); --warmup 0 is
    /// reported as such; a negative warm-up and a tile smaller than the network's input multiple are one-line errors.</summary>
    [TestMethod]
    public void BenchSr_Tiled_NamesTileCountAndWarmup()
    {
        var (exit, output, err) = Run("bench", "sr", "--arch", "hfdiff-tiny", "--lr-size", "128", "--runs", "1", "--tile", "64", "--warmup", "0");
        Assert.AreEqual(0, exit, err + output);
        StringAssert.Contains(output, "9 tiles of 64 (stride 56) per image");
        StringAssert.Contains(output, "1 run(s) (+0 warm-up)");
        var (bad, _, badErr) = Run("bench", "sr", "--arch", "hfdiff-tiny", "--runs", "1", "--warmup", "-1");
        Assert.AreEqual(2, bad);
        StringAssert.Contains(badErr, "--warmup");
        var (small, _, smallErr) = Run("bench", "sr", "--arch", "hfdiff-tiny", "--runs", "1", "--tile", "32");
        Assert.AreNotEqual(0, small);
        StringAssert.Contains(smallErr, "--tile must be >= 64");
    }

    [TestMethod]
    public void BenchLosses_TinySize_TimesEveryLoss()
    {
        var (exit, output, err) = Run("bench", "losses", "--size", "32", "--batch", "1", "--runs", "1");
        Assert.AreEqual(0, exit, err + output);
        foreach (var item in new[] { "dml-dinov2-vits14", "hf-inn-rgb", "hf-inn-latent", "vgg16-perceptual", "js-divergence" })
            AssertTimedLine(output, item, "pairs/s");
        StringAssert.Contains(output, "sinsr-distillation skipped");
        StringAssert.Contains(output, "peak RSS");
    }

    [TestMethod]
    public void BenchIqa_NoClipVocab_TimesOthersAndNamesClipIqaSkip()
    {
        var models = TempDir();
        try
        {
            var (exit, output, err) = Run("bench", "iqa", "--size", "32", "--runs", "1", "--models", models);
            Assert.AreEqual(0, exit, err + output);
            foreach (var item in new[] { "lpips", "lpips-vgg", "musiq" })
                AssertTimedLine(output, item, "images/s");
            StringAssert.Contains(output, "clipiqa    skipped");
            StringAssert.Contains(output, "bpe_simple_vocab_16e6.txt.gz");
            StringAssert.Contains(output, "peak RSS");
        }
        finally { Directory.Delete(models, true); }
    }

    [TestMethod]
    public void BenchIqa_ClipVocabInModels_TimesClipIqa()
    {
        // The fixture folder holds the official BPE vocabulary; the CLIP weights stay random.
        var iqa = TestPaths.Fixture("iqa");
        var (exit, output, err) = Run("bench", "iqa", "--size", "32", "--runs", "1", "--metrics", "clipiqa", "--models", iqa, "--batch", "2");
        Assert.AreEqual(0, exit, err + output);
        AssertTimedLine(output, "clipiqa", "images/s");
        StringAssert.Contains(output, "batches of 2");
    }

    [TestMethod]
    [DataRow("lpips", "30", "31×31")]
    [DataRow("lpips-vgg", "15", "16×16")]
    public void BenchIqa_SizeBelowNetworkMinimum_RefusedInOneLineBeforeTiming(string metric, string size, string minimum)
    {
        var (exit, output, err) = Run("bench", "iqa", "--size", size, "--runs", "1", "--metrics", metric);
        Assert.AreEqual(2, exit, err + output);
        StringAssert.Contains(err, $"--size {size}: {metric} needs images of at least {minimum} pixels");
        StringAssert.Contains(err, $"got {size}×{size}");
        Assert.AreEqual(1, err.TrimEnd().Split('\n').Length, "one line: " + err);
        Assert.DoesNotContain("median", output);
    }

    [TestMethod]
    public void BenchMetrics_SizeBelowSsimWindow_RefusedNamingMinimum()
    {
        var (exit, _, err) = Run("bench", "metrics", "--size", "8", "--runs", "1", "--metrics", "psnr,ssim");
        Assert.AreEqual(2, exit, err);
        StringAssert.Contains(err, "ssim needs images of at least 11×11 pixels");
        StringAssert.Contains(err, "got 8×8");
    }

    [TestMethod]
    public void BenchMetrics_NoNiqeParameters_SkipsNiqeWithNoteAndTimesTheOthers()
    {
        var models = TempDir();
        var (exit, output, err) = Run("bench", "metrics", "--size", "64", "--runs", "1", "--models", models);
        Assert.AreEqual(0, exit, err + output);
        AssertTimedLine(output, "psnr", "ms");
        AssertTimedLine(output, "ssim", "ms");
        StringAssert.Contains(output, "niqe     skipped:");
        StringAssert.Contains(output, "niqe_modelparameters.mat");
    }

    [TestMethod]
    public void BenchIqa_UnknownMetric_ExitsNonZeroNamingIt()
    {
        var (exit, _, err) = Run("bench", "iqa", "--metrics", "lpips,nope");
        Assert.AreNotEqual(0, exit);
        StringAssert.Contains(err, "nope");
    }

    [TestMethod]
    public void BenchDegrade_SyntheticFolder_TimesPairsAndDeletesFolder()
    {
        var before = Directory.GetDirectories(Path.GetTempPath(), "hfdiff-bench-degrade-*").ToHashSet();
        var (exit, output, err) = Run("bench", "degrade", "--batch", "1", "--gt-size", "32", "--batches", "1", "--runs", "1");
        Assert.AreEqual(0, exit, err + output);
        AssertTimedLine(output, "realesrgan-pairs", "pairs/s");
        var left = Directory.GetDirectories(Path.GetTempPath(), "hfdiff-bench-degrade-*").Where(d => !before.Contains(d)).ToList();
        Assert.AreEqual(0, left.Count, "temporary image folder left behind: " + string.Join(", ", left));
    }

    [TestMethod]
    public void BenchDegrade_MissingInputFolder_ExitsNonZeroNamingIt()
    {
        var missing = Path.Combine(Path.GetTempPath(), $"hfdiff-missing-{Guid.NewGuid():N}");
        var (exit, _, err) = Run("bench", "degrade", "--in", missing);
        Assert.AreNotEqual(0, exit);
        StringAssert.Contains(err, missing);
    }
}
