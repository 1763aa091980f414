using System.Globalization;
using HfDiff.Tests.Common;
using HfDiff.Torch.Assets;

namespace HfDiff.Cli.Tests;

/// <summary>
/// <c>hfdiff score</c> with learned metrics end to end: the fixture's checkpoints are placed in a temporary model directory
/// under the official file names, and the CSV must reproduce the fixture's expected.csv (tolerances of the IQA README:
/// LPIPS distance 1e-6, CLIPIQA scores 1e-5). Rows, images and file names come from expected.csv and the fixture folder.
/// </summary>
[TestClass]
public class ScoreLearnedMetricsTests
{
    sealed record Expected(string Metric, string Item, double Value, Dictionary<string, string> Details);

    static List<Expected> ExpectedRows(string iqa) =>
        File.ReadAllLines(Path.Combine(iqa, "expected.csv")).Skip(1).Select(SplitCsv)
            .Select(c => new Expected(c[0], c[1], double.Parse(c[2], CultureInfo.InvariantCulture),
                c.Length > 3 ? c[3].Split(';', StringSplitOptions.RemoveEmptyEntries).Select(kv => kv.Split('=', 2)).Where(kv => kv.Length == 2).ToDictionary(kv => kv[0], kv => kv[1]) : new()))
            .ToList();

    /// <summary>RFC 4180 fields (the metric tags are quoted because they contain commas).</summary>
    static string[] SplitCsv(string line)
    {
        var fields = new List<string>();
        var field = new System.Text.StringBuilder();
        bool quoted = false;
        for (int i = 0; i < line.Length; i++)
        {
            char ch = line[i];
            if (quoted)
            {
                if (ch == '"' && i + 1 < line.Length && line[i + 1] == '"') { field.Append('"'); i++; }
                else if (ch == '"') quoted = false;
                else field.Append(ch);
            }
            else if (ch == '"') quoted = true;
            else if (ch == ',') { fields.Add(field.ToString()); field.Clear(); }
            else field.Append(ch);
        }
        fields.Add(field.ToString());
        return fields.ToArray();
    }

    static string TempDir() => CliHarness.TempDir("hfdiff-cli-iqa");

    static Dictionary<string, double[]> RunScore(string sr, string? gt, string metrics, string models)
    {
        var csv = Path.Combine(TempDir(), "scores.csv");
        var args = new List<string> { "score", "--sr", sr, "--metrics", metrics, "--models", models, "--csv", csv };
        if (gt is not null) args.AddRange(["--gt", gt]);
        var (exit, _, err) = CliHarness.Run(args.ToArray());
        Assert.AreEqual(0, exit, err);
        return File.ReadAllLines(csv).Skip(1).Select(l => l.Split(','))
            .ToDictionary(c => Path.GetFileNameWithoutExtension(c[0]), c => c.Skip(1).Select(v => double.Parse(v, CultureInfo.InvariantCulture)).ToArray());
    }

    [TestMethod]
    [TestCategory("Parity.Lpips")]
    public void Score_LpipsAlex_FromModelDirectory_MatchesExpected()
    {
        var iqa = TestPaths.Fixture("iqa");
        var cfg = TestPaths.ReadConfig(iqa);
        var models = TempDir();
        File.Copy(Path.Combine(iqa, "checkpoints", "alexnet_features_seeded.pth"), Path.Combine(models, KnownAssets.TorchvisionAlexNet.FileName));
        File.Copy(Path.Combine(iqa, "checkpoints", "lpips_v0.1_alex.pth"), Path.Combine(models, KnownAssets.LpipsAlexLinear.FileName));
        string sr = TempDir(), gt = TempDir();
        var rows = ExpectedRows(iqa).Where(r => r.Metric == "lpips_alex").ToList();
        Assert.IsTrue(rows.Count > 0, "expected.csv has no lpips_alex rows");
        foreach (var r in rows)
        {
            File.Copy(Path.Combine(iqa, "images", r.Details["img1"]), Path.Combine(sr, r.Item + ".png"));
            File.Copy(Path.Combine(iqa, "images", r.Details["img0"]), Path.Combine(gt, r.Item + ".png"));
        }
        var scores = RunScore(sr, gt, "lpips", models);
        foreach (var r in rows)
            Assert.AreEqual(r.Value, scores[r.Item][0], 1e-6, $"lpips {r.Item}");
    }

    [TestMethod]
    [TestCategory("Parity.Clipiqa")]
    public void Score_ClipIqaAndPlus_FromModelDirectory_MatchExpected()
    {
        var iqa = TestPaths.Fixture("iqa");
        var models = TempDir();
        File.Copy(Path.Combine(iqa, "checkpoints", "clip_rn_reduced_seeded_fp16.jit.pt"), Path.Combine(models, KnownAssets.ClipRn50.FileName));
        File.Copy(Path.Combine(iqa, "bpe_simple_vocab_16e6.txt.gz"), Path.Combine(models, KnownAssets.ClipBpeVocab.FileName));
        File.Copy(Path.Combine(iqa, "checkpoints", "clipiqa+_ctx_seeded.pth"), Path.Combine(models, KnownAssets.ClipIqaPlusPrompts.FileName));
        var all = ExpectedRows(iqa);
        var plain = all.Where(r => r.Metric == "clipiqa_reduced").ToList();
        var plus = all.Where(r => r.Metric == "clipiqa+_reduced").ToDictionary(r => r.Item, r => r.Value);
        Assert.IsTrue(plain.Count > 0, "expected.csv has no clipiqa rows");
        var sr = TempDir();
        foreach (var r in plain) File.Copy(Path.Combine(iqa, "images", r.Details["img"]), Path.Combine(sr, r.Item + ".png"));
        var scores = RunScore(sr, null, "clipiqa,clipiqa+", models);
        foreach (var r in plain)
        {
            Assert.AreEqual(r.Value, scores[r.Item][0], 1e-5, $"clipiqa {r.Item}");
            Assert.AreEqual(plus[r.Item], scores[r.Item][1], 1e-5, $"clipiqa+ {r.Item}");
        }
    }
}
