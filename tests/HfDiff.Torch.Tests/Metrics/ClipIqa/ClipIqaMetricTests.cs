using HfDiff.Tests.Common;
using HfDiff.Torch.Archs.Clip;
using HfDiff.Torch.Assets;
using HfDiff.Torch.Imaging;
using HfDiff.Torch.Metrics;
using HfDiff.Torch.Metrics.ClipIqa;
using HfDiff.Torch.Weights.TorchScript;
using static TorchSharp.torch;

namespace HfDiff.Torch.Tests.Metrics.ClipIqa;

/// <summary>
/// Parity with pyiqa CLIPIQA / CLIPIQA+ on the reduced seeded CLIP-RN of the iqa fixture (README section 4).
/// Tolerances from the README: text/image features 1e-4 abs, scores 1e-5 abs; token ids exact.
/// </summary>
[TestClass]
[TestCategory("Parity.Clipiqa")]
public class ClipIqaMetricTests
{
    const double FeatureTol = 1e-4, ScoreTol = 1e-5;
    // Logits are 100·cos; a 1e-4 feature error allows ~1e-3 on them (README gives no separate tolerance).
    const double LogitTol = 1e-3;

    static ClipIqaFixture _fx = null!;
    static ClipModel _plain = null!;
    static ClipModel _archive = null!;
    static Tensor _context = null!;
    static FixtureTensors _io = null!;

    [ClassInitialize]
    public static void Init(TestContext _)
    {
        _fx = new ClipIqaFixture();
        _plain = ClipModel.Load(_fx.PlainWeights);
        _archive = ClipModel.Load(_fx.ArchiveWeights);
        _context = TorchSavedTensor.Load(_fx.LearnedContext);
        _io = new FixtureTensors(_fx.IoPath);
    }

    [ClassCleanup]
    public static void Cleanup()
    {
        _plain?.Dispose(); _archive?.Dispose(); _context?.Dispose(); _io?.Dispose();
    }

    static ClipIqaMetric Metric(ClipModel model, ClipIqaVariant variant, bool posEmbedding = false) =>
        new(model, _fx.Tokenizer, new ClipIqaOptions { Variant = variant, PosEmbedding = posEmbedding, Prompts = _fx.Prompts, ContextTokens = _fx.ContextTokens },
            variant == ClipIqaVariant.ClipIqaPlus ? _context : null);

    /// <summary>(io prefix, variant, pos_embedding) of the three scored configurations.</summary>
    static readonly (string Prefix, ClipIqaVariant Variant, bool Pos)[] Configurations =
    [
        ("clipiqa", ClipIqaVariant.ClipIqa, false),
        ("clipiqa_posemb", ClipIqaVariant.ClipIqa, true),
        ("clipiqa+", ClipIqaVariant.ClipIqaPlus, false),
    ];

    [TestMethod]
    public void PromptTokens_FixturePrompts_EqualReferenceIds()
    {
        using var m = Metric(_plain, ClipIqaVariant.ClipIqa);
        Assert.IsTrue(m.PromptTokens.equal(_io["clipiqa.prompt_ids"]).all().item<bool>(), "clipiqa.prompt_ids differ");
        CollectionAssert.AreEqual(_fx.PlusInitPrompts.ToList(), ClipIqaPromptLearner.InitPrompts(_fx.ContextTokens).ToList());
        using var p = Metric(_plain, ClipIqaVariant.ClipIqaPlus);
        Assert.IsTrue(p.PromptTokens.equal(_io["clipiqa+.prompt_ids"]).all().item<bool>(), "clipiqa+.prompt_ids differ");
    }

    [TestMethod]
    public void TextFeatures_BothVariants_MatchReference()
    {
        using var m = Metric(_plain, ClipIqaVariant.ClipIqa);
        TensorAssert.MaxAbsBelow(m.TextFeatures, _io["clipiqa.text_features"], FeatureTol, "clipiqa.text_features");
        using var p = Metric(_plain, ClipIqaVariant.ClipIqaPlus);
        TensorAssert.MaxAbsBelow(p.PromptLearner!.PromptEmbeddings, _io["clipiqa+.prompt_embeddings"], FeatureTol, "clipiqa+.prompt_embeddings");
        TensorAssert.MaxAbsBelow(p.TextFeatures, _io["clipiqa+.text_features"], FeatureTol, "clipiqa+.text_features");
    }

    [TestMethod]
    public void ImageFeaturesAndLogits_EveryImage_MatchReference()
    {
        using var m0 = Metric(_plain, ClipIqaVariant.ClipIqa, posEmbedding: false);
        using var m1 = Metric(_plain, ClipIqaVariant.ClipIqa, posEmbedding: true);
        foreach (var (name, file) in _fx.Images)
        {
            using var x = ImageIO.ReadTensor(file);
            using var f0 = m0.ImageFeatures(x);
            using var f1 = m1.ImageFeatures(x);
            using var logits = _plain.LogitsPerImage(f0, m0.TextFeatures);
            TensorAssert.MaxAbsBelow(f0[0], _io[$"clipiqa.{name}.image_features_pos0"], FeatureTol, $"{name}.image_features_pos0");
            TensorAssert.MaxAbsBelow(f1[0], _io[$"clipiqa.{name}.image_features_pos1"], FeatureTol, $"{name}.image_features_pos1");
            TensorAssert.MaxAbsBelow(logits[0], _io[$"clipiqa.{name}.logits_per_image_pos0"], LogitTol, $"{name}.logits_per_image_pos0");
        }
    }

    /// <summary>Scores of every (configuration, image) with the given weights; one forward pass each.</summary>
    static Dictionary<string, double> ScoreAll(ClipModel model)
    {
        var scores = new Dictionary<string, double>();
        foreach (var (prefix, variant, pos) in Configurations)
        {
            using var metric = Metric(model, variant, pos);
            foreach (var (name, file) in _fx.Images)
            {
                using var x = ImageIO.ReadTensor(file);
                scores[$"{prefix}.{name}.score"] = metric.Score(x);
            }
        }
        return scores;
    }

    static Dictionary<string, double>? _plainScores;
    static Dictionary<string, double> PlainScores => _plainScores ??= ScoreAll(_plain);

    [TestMethod]
    public void Score_EveryImageAndVariant_MatchesReference()
    {
        Assert.AreEqual(Configurations.Length * _fx.Images.Count, PlainScores.Count);
        foreach (var (key, actual) in PlainScores)
            Assert.AreEqual(_io[key].item<float>(), actual, ScoreTol, key);
    }

    [TestMethod]
    public void Score_ArchiveWeights_EqualPlainWeights()
    {
        foreach (var (key, actual) in ScoreAll(_archive))
        {
            Assert.AreEqual(PlainScores[key], actual, 0.0, $"{key}: archive vs plain");
            Assert.AreEqual(_io[key].item<float>(), actual, ScoreTol, $"{key} (archive)");
        }
    }

    [TestMethod]
    public void Constructor_OptionsWithFilePaths_LoadsAndScoresLikeReference()
    {
        var (name, file) = _fx.Images[0];
        using var metric = new ClipIqaMetric(new ClipIqaOptions
        {
            Variant = ClipIqaVariant.ClipIqaPlus, Prompts = _fx.Prompts, ContextTokens = _fx.ContextTokens,
            ClipWeightsPath = _fx.ArchiveWeights, BpeVocabPath = _fx.BpeVocab, LearnedPromptsPath = _fx.LearnedContext,
        });
        Assert.AreEqual("clipiqa+", metric.Name);
        Assert.AreEqual(MetricMode.NoReference, metric.Mode);
        Assert.IsFalse(metric.LowerIsBetter);
        using var x = ImageIO.ReadTensor(file);
        Assert.AreEqual(_io[$"clipiqa+.{name}.score"].item<float>(), metric.Score(x), ScoreTol);
    }

    [TestMethod]
    public void Score_WithReference_ThrowsNoReferenceMetric()
    {
        using var m = Metric(_plain, ClipIqaVariant.ClipIqa);
        using var x = rand(1, 3, 64, 64);
        var e = Assert.ThrowsExactly<ArgumentException>(() => m.Score(x, x));
        Assert.AreEqual("reference", e.ParamName);
    }

    [TestMethod]
    public void Score_BadShapes_ThrowNamingParameter()
    {
        using var m = Metric(_plain, ClipIqaVariant.ClipIqa);
        using var gray = rand(1, 1, 64, 64);
        using var tiny = rand(1, 3, 16, 64);
        using var batch = rand(2, 3, 64, 64);
        StringAssert.Contains(Assert.ThrowsExactly<ArgumentException>(() => m.Score(gray)).Message, "(N,3,H,W)");
        StringAssert.Contains(Assert.ThrowsExactly<ArgumentException>(() => m.Score(tiny)).Message, "at least 32×32 pixels (CLIP's ResNet-50 reduces by 32); got 16×64");
        StringAssert.Contains(Assert.ThrowsExactly<ArgumentException>(() => m.Score(batch)).Message, "ScoreBatch");
        using var scores = m.ScoreBatch(batch);
        CollectionAssert.AreEqual(new long[] { 2, 1 }, scores.shape);
    }

    [TestMethod]
    public void Constructor_PlusWithoutContext_Throws()
    {
        var e = Assert.ThrowsExactly<ArgumentNullException>(() => new ClipIqaMetric(_plain, _fx.Tokenizer, new ClipIqaOptions { Variant = ClipIqaVariant.ClipIqaPlus }));
        Assert.AreEqual("learnedContext", e.ParamName);
    }

    [TestMethod]
    public void Constructor_OddPromptCount_Throws()
    {
        var e = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() =>
            new ClipIqaMetric(_plain, _fx.Tokenizer, new ClipIqaOptions { Prompts = ["Good image", "bad image", "Sharp image"] }));
        Assert.AreEqual("Prompts", e.ParamName);
    }

    [TestMethod]
    public void Constructor_EmptyModelDirectory_ThrowsNamingMissingFile()
    {
        var dir = Directory.CreateTempSubdirectory("hfdiff-clipiqa-").FullName;
        try
        {
            var e = Assert.ThrowsExactly<ModelAssetMissingException>(() => new ClipIqaMetric(new ClipIqaOptions { ModelDirectory = dir }));
            StringAssert.Contains(e.Message, KnownAssets.ClipBpeVocab.FileName);
            StringAssert.Contains(e.Message, dir);
        }
        finally { Directory.Delete(dir, true); }
    }
}
