using HfDiff.Reports;
using HfDiff.Torch.Imaging;

namespace HfDiff.Cli.Tests;

/// <summary><see cref="TrainingPlots"/> on a synthetic training log (HfDiff.Reports has no test project; the CLI's references it).</summary>
[TestClass]
public class TrainingPlotsTests
{
    static string Log(string dir, int rows)
    {
        var lines = new List<string> { "iteration,lr,loss,mse,hf,grad_norm,skipped,seconds" };
        for (int i = 1; i <= rows; i++)
            lines.Add(FormattableString.Invariant($"{i},5e-05,{1.0 / i},{0.5 / i},{(i % 3 == 0 ? "" : (0.1 + 0.01 * Math.Sin(i)).ToString(System.Globalization.CultureInfo.InvariantCulture))},{2.0 / i},{(i == 7 ? 1 : 0)},0.5"));
        var path = Path.Combine(dir, "train_log.csv");
        File.WriteAllLines(path, lines);
        return path;
    }

    [TestMethod]
    public void WriteLossCurves_Log_WritesNonBlankPng()
    {
        var dir = CliHarness.TempDir("hfdiff-plots");
        var png = Path.Combine(dir, TrainingPlots.LossCurvesFileName);
        // Opened for appending as the training loop keeps it: the plot must still read it.
        using (var writer = new FileStream(Log(dir, 120), FileMode.Append, FileAccess.Write, FileShare.Read))
            Assert.IsTrue(TrainingPlots.WriteLossCurves(Path.Combine(dir, "train_log.csv"), png, 640, 360));
        var image = ImageIO.Read(png);
        Assert.AreEqual(640, image.Width);
        Assert.AreEqual(360, image.Height);
        var distinct = image.Planar.Select(v => Math.Round(v, 3)).Distinct().Count();
        Assert.IsGreaterThan(10, distinct, "the image has lines and text, not one colour");
        float mean = image.Planar.Average();
        Assert.IsTrue(mean is > 0.3f and < 0.999f, $"mean {mean}: mostly background with drawn content");
    }

    [TestMethod]
    public void ReadLog_SkippedRowsAndEmptyCells_AreLeftOut()
    {
        var dir = CliHarness.TempDir("hfdiff-plots");
        var series = TrainingPlots.ReadLog(Log(dir, 9));
        CollectionAssert.AreEqual(new[] { "loss", "mse", "hf" }, series.Keys.ToArray());
        Assert.HasCount(8, series["loss"], "row 7 skipped");
        Assert.HasCount(5, series["hf"], "rows 3, 6, 9 empty and 7 skipped");
        Assert.IsFalse(TrainingPlots.WriteLossCurves(Log(dir, 0), Path.Combine(dir, "none.png")));
        Assert.IsFalse(File.Exists(Path.Combine(dir, "none.png")));
    }
}
