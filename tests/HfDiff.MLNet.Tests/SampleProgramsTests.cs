using System.Globalization;
using System.Reflection;
using System.Runtime.ExceptionServices;
using HfDiff.MLNet;
using HfDiff.Tests.Common;
using HfDiff.Torch.Assets;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace HfDiff.MLNet.Tests;

/// <summary>
/// The sample programs samples/PredictionEngine and samples/LearnedScorers run to their end from the repository root
/// (their entry points, in this process) and print what they should; the learned scorers' sample without weights too.
/// </summary>
[TestClass]
public class SampleProgramsTests
{
    public sealed class PathPair { public string Sr { get; set; } = ""; public string Gt { get; set; } = ""; }

    static string Root => TestPaths.RepositoryRoot() ?? throw new AssertFailedException("repository root not found");

    /// <summary>Runs the sample's top-level program with <paramref name="args"/>; returns what it printed.</summary>
    static string Run(string sample, params string[] args)
    {
        var entry = Assembly.Load(sample).EntryPoint ?? throw new AssertFailedException($"{sample} has no entry point");
        var output = new StringWriter(CultureInfo.InvariantCulture);
        var (stdout, cwd) = (Console.Out, Environment.CurrentDirectory);
        try
        {
            Console.SetOut(output);
            Environment.CurrentDirectory = Root;
            entry.Invoke(null, entry.GetParameters().Length == 0 ? null : [args]);
        }
        catch (TargetInvocationException e) when (e.InnerException is not null)
        {
            ExceptionDispatchInfo.Capture(e.InnerException).Throw();
        }
        finally
        {
            Console.SetOut(stdout);
            Environment.CurrentDirectory = cwd;
        }
        return output.ToString();
    }

    [TestMethod]
    public void PredictionEngine_PrintsTheScoresOfTheBatchScorersForEachPair()
    {
        var printed = Run("PredictionEngine");
        var ml = new MLContext();
        var pairs = Directory.GetFiles(Path.Combine(Root, "data", "samples", "sr"), "*.png").Order(StringComparer.Ordinal)
            .Select(sr => new PathPair { Sr = sr, Gt = Path.Combine(Root, "data", "samples", "gt", Path.GetFileName(sr)) }).ToList();
        var data = ml.Data.LoadFromEnumerable(pairs);
        var scored = ml.Transforms.ImageQuality.Psnr("Psnr", "Sr", "Gt", testYChannel: true, colorSpace: "ycbcr")
            .Append(ml.Transforms.ImageQuality.Ssim("Ssim", "Sr", "Gt", colorSpace: "ycbcr")).Fit(data).Transform(data);
        var psnr = scored.GetColumn<float>("Psnr").ToArray();
        var ssim = scored.GetColumn<float>("Ssim").ToArray();
        Assert.IsNotEmpty(pairs);
        for (int i = 0; i < pairs.Count; i++)
            StringAssert.Contains(printed, string.Create(CultureInfo.CurrentCulture, $"{Path.GetFileName(pairs[i].Sr),-16} PSNR {psnr[i]:F4}  SSIM {ssim[i]:F4}"));
    }

    [TestMethod]
    public void LearnedScorers_WithoutWeights_NamesTheMissingFilesAndEnds()
    {
        var models = Directory.CreateTempSubdirectory("hfdiff-sample-models-").FullName;
        try
        {
            var printed = Run("LearnedScorers", models);
            StringAssert.Contains(printed, $"Lpips    skipped: missing {KnownAssets.TorchvisionAlexNet.FileName}, {KnownAssets.LpipsAlexLinear.FileName} in '{models}'");
            StringAssert.Contains(printed, $"Musiq    skipped: missing {KnownAssets.MusiqKoniq.FileName}");
            StringAssert.Contains(printed, $"ClipIqa  skipped: missing {KnownAssets.ClipRn50.FileName}");
            StringAssert.Contains(printed, "No learned scorer ran");
        }
        finally { Directory.Delete(models, true); }
    }

    /// <summary>With LPIPS's files (the iqa fixture's) in the model directory, LPIPS runs and the others are still skipped.</summary>
    [TestMethod]
    [TestCategory("Parity.Lpips")]
    public void LearnedScorers_WithLpipsWeights_ScoresLpips()
    {
        var iqa = TestPaths.Fixture("iqa");
        var alex = TestPaths.ReadConfig(iqa).GetProperty("lpips").GetProperty("nets").GetProperty("alex");
        var models = Directory.CreateTempSubdirectory("hfdiff-sample-models-").FullName;
        try
        {
            static string FirstToken(string s) => s.Split(' ', 2)[0];
            File.Copy(Path.Combine(iqa, FirstToken(alex.GetProperty("backbone").GetString()!)), Path.Combine(models, KnownAssets.TorchvisionAlexNet.FileName));
            File.Copy(Path.Combine(iqa, FirstToken(alex.GetProperty("lin_weights").GetString()!)), Path.Combine(models, KnownAssets.LpipsAlexLinear.FileName));
            var printed = Run("LearnedScorers", models);
            StringAssert.Contains(printed, "Lpips    mean ");
            StringAssert.Contains(printed, "Musiq    skipped");
            Assert.IsFalse(printed.Contains("No learned scorer ran", StringComparison.Ordinal), printed);
        }
        finally { Directory.Delete(models, true); }
    }
}
