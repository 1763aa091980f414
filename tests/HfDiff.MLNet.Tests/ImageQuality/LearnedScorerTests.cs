using HfDiff.MLNet;
using HfDiff.MLNet.ImageQuality;
using HfDiff.Tests.Common;
using HfDiff.Torch.Assets;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace HfDiff.MLNet.Tests.ImageQuality;

/// <summary>
/// The learned metrics through the ML.NET scorer, batched, with the iqa fixture's checkpoints placed in a model
/// directory under the official file names; scores must reproduce the fixture's expected.csv at the README's
/// tolerances (LPIPS 1e-6, CLIPIQA 1e-5). Images, pairs and checkpoint files come from the fixture's files.
/// </summary>
[TestClass]
public class LearnedScorerTests
{
    public sealed class PathPair { public string Name { get; set; } = ""; public string Sr { get; set; } = ""; public string Gt { get; set; } = ""; }
    public sealed class PathRow { public string Name { get; set; } = ""; public string Sr { get; set; } = ""; }

    static string NewModelDirectory() => Directory.CreateTempSubdirectory("hfdiff-mlnet-models-").FullName;

    /// <summary>The config describes files as "path (explanation)"; the path is the first word.</summary>
    static string FirstToken(string s) => s.Split(' ', 2)[0];

    [TestMethod]
    [TestCategory("Parity.Lpips")]
    public void Lpips_BatchedPathColumns_MatchesExpected()
    {
        var iqa = TestPaths.Fixture("iqa");
        var alex = TestPaths.ReadConfig(iqa).GetProperty("lpips").GetProperty("nets").GetProperty("alex");
        var models = NewModelDirectory();
        try
        {
            File.Copy(Path.Combine(iqa, FirstToken(alex.GetProperty("backbone").GetString()!)), Path.Combine(models, KnownAssets.TorchvisionAlexNet.FileName));
            File.Copy(Path.Combine(iqa, FirstToken(alex.GetProperty("lin_weights").GetString()!)), Path.Combine(models, KnownAssets.LpipsAlexLinear.FileName));
            var rows = IqaExpectedRow.Read(iqa, "lpips_alex");
            var pairs = rows.Select(r => new PathPair
            {
                Name = r.Image, Sr = Path.Combine(iqa, "images", r.Details["img1"]), Gt = Path.Combine(iqa, "images", r.Details["img0"]),
            }).ToList();
            var ml = new MLContext(seed: 1);
            var data = ml.Data.LoadFromEnumerable(pairs);
            var scored = ml.Transforms.ImageQuality.Lpips("Lpips", "Sr", "Gt", modelDirectory: models, batchSize: 4).Fit(data).Transform(data);
            var got = scored.GetColumn<float>("Lpips").ToArray();
            for (int i = 0; i < rows.Count; i++) Assert.AreEqual(rows[i].Value, got[i], 1e-6, $"lpips {rows[i].Image}");
        }
        finally { Directory.Delete(models, true); }
    }

    [TestMethod]
    [TestCategory("Parity.Clipiqa")]
    public void ClipIqa_BatchedImageColumns_MatchesExpected()
    {
        var iqa = TestPaths.Fixture("iqa");
        var clip = TestPaths.ReadConfig(iqa).GetProperty("clipiqa");
        var models = NewModelDirectory();
        try
        {
            File.Copy(Path.Combine(iqa, clip.GetProperty("torchscript_archive").GetProperty("file").GetString()!), Path.Combine(models, KnownAssets.ClipRn50.FileName));
            // The reduced stand-in is not the published RN50.pt: vouch for it so the SHA-256 check accepts it.
            new ModelDirectory(models).RememberVerified(KnownAssets.ClipRn50, Path.Combine(models, KnownAssets.ClipRn50.FileName));
            File.Copy(Path.Combine(iqa, "bpe_simple_vocab_16e6.txt.gz"), Path.Combine(models, KnownAssets.ClipBpeVocab.FileName));
            File.Copy(Path.Combine(iqa, FirstToken(clip.GetProperty("clipiqa+_ctx").GetString()!)), Path.Combine(models, KnownAssets.ClipIqaPlusPrompts.FileName));
            var rows = IqaExpectedRow.Read(iqa, "clipiqa_reduced");
            var plus = IqaExpectedRow.Read(iqa, "clipiqa+_reduced").ToDictionary(r => r.Image, r => r.Value);
            var ml = new MLContext(seed: 1);
            var paths = ml.Data.LoadFromEnumerable(rows.Select(r => new PathRow { Name = r.Image, Sr = Path.Combine(iqa, "images", r.Details["img"]) }).ToList());
            var model = ml.Transforms.LoadImages("Image", null, "Sr")
                .Append(ml.Transforms.ImageQuality.ClipIqa("ClipIqa", "Image", modelDirectory: models, batchSize: 2))
                .Append(ml.Transforms.ImageQuality.ClipIqa("ClipIqaPlus", "Image", plus: true, modelDirectory: models, batchSize: 2))
                .Fit(paths);
            var scored = model.Transform(paths);
            var got = scored.GetColumn<float>("ClipIqa").ToArray();
            var gotPlus = scored.GetColumn<float>("ClipIqaPlus").ToArray();
            for (int i = 0; i < rows.Count; i++)
            {
                Assert.AreEqual(rows[i].Value, got[i], 1e-5, $"clipiqa {rows[i].Image}");
                Assert.AreEqual(plus[rows[i].Image], gotPlus[i], 1e-5, $"clipiqa+ {rows[i].Image}");
            }
        }
        finally { Directory.Delete(models, true); }
    }

    [TestMethod]
    public void Lpips_UnknownNet_ThrowsNamingIt()
    {
        var e = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => new MLContext().Transforms.ImageQuality.Lpips("L", "Sr", "Gt", net: "squeeze"));
        StringAssert.Contains(e.Message, "squeeze");
    }
}
