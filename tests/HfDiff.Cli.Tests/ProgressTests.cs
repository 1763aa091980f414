using HfDiff.Tests.Common;
using HfDiff.Torch.Pipelines;

namespace HfDiff.Cli.Tests;

/// <summary>The CLI's progress reporter: n/N, rate and ETA; a live line on terminals, plain periodic lines otherwise.</summary>
[TestClass]
public class ProgressTests
{
    /// <summary>A clock the test advances.</summary>
    sealed class FakeClock
    {
        public TimeSpan Now;
        public TimeSpan Read() => Now;
    }

    static string Samples => Path.Combine(TestPaths.RepositoryRoot() ?? throw new AssertFailedException("repository root not found"), "data", "samples");

    [TestMethod]
    [DataRow(0)]      // redirected, or a terminal reporting width 0 (ShellProgressBar crashed there: "length ('-11')")
    public void Plain_ItemsOfOneSecond_LineAtEachTenthWithCountRateAndEta(int width)
    {
        var clock = new FakeClock();
        var w = new StringWriter();
        using (var p = new Progress(20, "scoring", w, width, clock.Read))
            for (int i = 0; i < 20; i++) { clock.Now += TimeSpan.FromSeconds(1); p.Tick(); }
        var lines = w.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.TrimEnd('\r')).ToList();
        Assert.HasCount(10, lines, w.ToString());
        Assert.AreEqual("scoring 2/20 10%  1.0/s  ETA 0:18", lines[0]);
        Assert.AreEqual("scoring 20/20 100%  1.0/s  in 0:20", lines[^1]);
        Assert.DoesNotContain("\r", w.ToString(), "no carriage returns in plain mode");
    }

    [TestMethod]
    public void Plain_SlowItems_LineAtLeastEveryFiveSeconds()
    {
        var clock = new FakeClock();
        var w = new StringWriter();
        using (var p = new Progress(1000, "upscaling", w, 0, clock.Read))
            for (int i = 0; i < 10; i++) { clock.Now += TimeSpan.FromSeconds(3); p.Tick(); }
        var lines = w.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.HasCount(5, lines, w.ToString());   // at 6, 12, 18, 24, 30 s: no 10% step reached, time decides
        StringAssert.StartsWith(lines[0], "upscaling 2/1000 0%  3.0 s each  ETA 49:54");
    }

    [TestMethod]
    [DataRow(80)]
    [DataRow(12)]
    [DataRow(1)]
    public void Live_AnyWidth_RedrawsOneLineThatFits(int width)
    {
        var clock = new FakeClock();
        var w = new StringWriter();
        using (var p = new Progress(50, "scoring", w, width, clock.Read))
        {
            for (int i = 0; i < 50; i++)
            {
                clock.Now += TimeSpan.FromSeconds(0.5);
                p.Tick();
                if (i == 10) p.Log("error: a.png: broken");
            }
        }
        var text = w.ToString();
        StringAssert.Contains(text, "error: a.png: broken\n");
        foreach (var segment in text.Split('\r', '\n').Where(s => !s.StartsWith("error:", StringComparison.Ordinal)))
            Assert.IsLessThanOrEqualTo(Math.Max(0, width - 1), segment.TrimEnd().Length, $"'{segment}' wider than {width}");
        if (width == 80)
        {
            StringAssert.Contains(text, "scoring [");
            StringAssert.Contains(text, "50/50 100%  2.0/s  in 0:25");
            StringAssert.Contains(text, "ETA 0:");
        }
    }

    [TestMethod]
    public void Resumed_RateCountsOnlyThisRun()
    {
        var clock = new FakeClock();
        var p = new Progress(100, "iterations", new StringWriter(), 0, clock.Read);
        p.StartAt(50);
        clock.Now = TimeSpan.FromSeconds(10);
        p.SetDone(60);
        Assert.AreEqual("iterations 60/100 60%  1.0/s  ETA 0:40", p.Status(clock.Now));
    }

    [TestMethod]
    public void SuperResolverTimings_PrintAsAReadableLine()
    {
        var t = new SuperResolverTimings(2310, 900, 4800, 8012, 1);
        Assert.AreEqual("encode 2.31 s, denoiser 0.90 s (1 call), decode 4.80 s, total 8.01 s", t.ToString());
    }

    [TestMethod]
    public void Score_OutputRedirected_PrintsPlainProgressLinesOnStderr()
    {
        // A child process with stdout and stderr on pipes: the redirected case, where ShellProgressBar showed nothing.
        var (exit, output, err) = CliProcess.Run("score", "--sr", Path.Combine(Samples, "sr"), "--gt", Path.Combine(Samples, "gt"), "--metrics", "psnr");
        Assert.AreEqual(0, exit, err + output);
        StringAssert.Contains(err, "scoring 1/3 33%");
        StringAssert.Contains(err, "scoring 3/3 100%");
        Assert.DoesNotContain("\r", err);
        StringAssert.Contains(output, "psnr");
    }
}
