using HfDiff.Torch.Assets;
using HfDiff.Torch.Metrics;

namespace HfDiff.Cli.Tests;

/// <summary><c>hfdiff metrics</c>: every metric, its defaults and better direction, and its model files present or missing.</summary>
[TestClass]
public class MetricsCommandTests
{
    [TestMethod]
    public void Metrics_OneLpipsFilePresent_ListsEveryMetricDefaultsAndFileStates()
    {
        var models = CliHarness.TempDir("hfdiff-cli-metrics");
        File.WriteAllText(Path.Combine(models, KnownAssets.LpipsAlexLinear.FileName), "");
        var (exit, output, err) = CliHarness.Run("metrics", "--models", models);
        Assert.AreEqual(0, exit, err + output);
        var lines = output.Split('\n').Select(l => l.TrimEnd('\r')).ToList();
        foreach (var name in MetricRegistry.Names)
            Assert.IsTrue(lines.Any(l => l.StartsWith(name + " ", StringComparison.Ordinal)), $"no line for {name}:\n{output}");
        string Block(string name)
        {
            int i = lines.FindIndex(l => l.StartsWith(name + " ", StringComparison.Ordinal));
            return string.Join("\n", lines.Skip(i).TakeWhile((l, k) => k == 0 || l.StartsWith(' ')));
        }
        var lpips = Block("lpips");
        StringAssert.Contains(lpips, "full-reference");
        StringAssert.Contains(lpips, "lower is better");
        StringAssert.Contains(lpips, "net=alex");
        StringAssert.Contains(lpips, "alexnet-owt-7be5be79.pth  missing");
        StringAssert.Contains(lpips, "alex.pth  present");
        var ssim = Block("ssim");
        StringAssert.Contains(ssim, "higher is better");
        StringAssert.Contains(ssim, "test_y_channel=true color_space=yiq crop_border=0");
        StringAssert.Contains(ssim, "files:    none");
        StringAssert.Contains(Block("niqe"), "niqe_modelparameters.mat or niqe_pris_params.npz  missing");
        StringAssert.Contains(output, "get them with: hfdiff models fetch ");
        Assert.DoesNotContain(" alex.pth ", output.Split("get them with:")[1], "a present file is not fetched again");
    }
}
