using System.Text.Json;
using HfDiff.Tests.Common;
using HfDiff.Torch.Imaging;
using HfDiff.Torch.Metrics;
using HfDiff.Torch.Metrics.Musiq;
using HfDiff.Torch.Tests.Metrics.Lpips;
using HfDiff.Torch.Weights;
using TorchSharp;
using static TorchSharp.torch;

namespace HfDiff.Torch.Tests.Metrics.Musiq;

[TestClass]
public class MusiqMetricTests
{
    // iqa README §3 tolerances: patches 1e-5 abs, embedding 1e-4, score 1e-4 (encoder CLS held to the embedding's 1e-4).
    // The seeded stem makes embedding_out large (|x| up to ~240), where the reference's own float32 result is 7e-4..8.5e-4
    // away from a float64 evaluation of the same network (ours: ~2.8e-4; float32 ulp at 240 is 1.5e-5), so the
    // embedding's 1e-4 is applied relative to the tensor's scale: max|Δ| <= 1e-4 * max(1, max|expected|).
    // CLS and score stay absolute.
    const double PatchTol = 1e-5, EmbeddingTol = 1e-4, ScoreTol = 1e-4;

    public TestContext TestContext { get; set; } = null!;

    /// <summary>pyiqa constructor keys → options; an unknown key fails so a changed fixture is noticed.</summary>
    static MusiqOptions OptionsFrom(JsonElement ctor)
    {
        var o = new MusiqOptions();
        foreach (var p in ctor.EnumerateObject())
        {
            var v = p.Value;
            o = p.Name switch
            {
                "patch_size" => o with { PatchSize = v.GetInt32() },
                "num_class" => o with { NumClass = v.GetInt32() },
                "hidden_size" => o with { HiddenSize = v.GetInt32() },
                "mlp_dim" => o with { MlpDim = v.GetInt32() },
                "num_heads" => o with { NumHeads = v.GetInt32() },
                "num_layers" => o with { NumLayers = v.GetInt32() },
                "num_scales" => o with { NumScales = v.GetInt32() },
                "spatial_pos_grid_size" => o with { SpatialPosGridSize = v.GetInt32() },
                "use_scale_emb" => o with { UseScaleEmb = v.GetBoolean() },
                "longer_side_lengths" => o with { LongerSideLengths = v.EnumerateArray().Select(e => e.GetInt32()).ToArray() },
                "max_seq_len_from_original_res" => o with { MaxSeqLenFromOriginalRes = v.ValueKind == JsonValueKind.Null ? null : v.GetInt32() },
                _ => throw new AssertFailedException($"unknown MUSIQ constructor key '{p.Name}'"),
            };
        }
        return o;
    }

    static MusiqMetric BuildFixtureModel(string dir, JsonElement cfg)
    {
        var sd = Checkpoint.LoadStateDict(Path.Combine(dir, cfg.GetProperty("checkpoint").GetString()!));
        try { return new MusiqMetric(OptionsFrom(cfg.GetProperty("constructor")), sd); }
        finally { foreach (var t in sd.Values) t.Dispose(); }
    }

    [TestMethod]
    [TestCategory("Parity.Musiq")]
    public void Constructor_FullSizeDefaults_MatchManifestKeysAndShapes()
    {
        var dir = TestPaths.Fixture("iqa");
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, "musiq_manifest_full.json")));
        var manifestOptions = OptionsFrom(doc.RootElement.GetProperty("constructor"));
        var defaults = new MusiqOptions();
        Assert.AreEqual(defaults with { LongerSideLengths = manifestOptions.LongerSideLengths }, manifestOptions,
            "the manifest's constructor should be MusiqOptions' defaults");
        using var model = new MusiqModel(defaults);
        var actual = model.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.shape);
        var expected = doc.RootElement.GetProperty("keys").EnumerateObject().ToDictionary(
            p => p.Name, p => p.Value.GetProperty("shape").EnumerateArray().Select(e => e.GetInt64()).ToArray());
        CollectionAssert.AreEquivalent(expected.Keys.ToList(), actual.Keys.ToList(), "state-dict keys vs musiq_manifest_full.json");
        foreach (var (key, shape) in expected)
            CollectionAssert.AreEqual(shape, actual[key], $"shape of {key}");
        foreach (var p in doc.RootElement.GetProperty("keys").EnumerateObject())
            Assert.AreEqual("float32", p.Value.GetProperty("dtype").GetString(), p.Name);
    }

    [TestMethod]
    [TestCategory("Parity.Musiq")]
    public void Trace_FixtureImages_MatchPatchesEmbeddingClsAndScore()
    {
        var dir = TestPaths.Fixture("iqa");
        var cfg = TestPaths.ReadConfig(dir).GetProperty("musiq");
        using var musiq = BuildFixtureModel(dir, cfg);
        using var io = new FixtureTensors(Path.Combine(dir, "io.safetensors"));
        var expected = IqaExpectedRow.Read(dir, "musiq_reduced").ToDictionary(r => r.Image);
        int pixels = 3 * musiq.Options.PatchSize * musiq.Options.PatchSize;
        double maxPatch = 0, maxSum = 0, maxSumSq = 0, maxEmb = 0, maxEmbRel = 0, maxCls = 0, maxScore = 0;
        var checkedNames = new HashSet<string>(StringComparer.Ordinal);
        foreach (var img in cfg.GetProperty("images").EnumerateObject())
        {
            string prefix = $"musiq.{img.Name}.";
            using var image = ImageIO.ReadTensor(Path.Combine(dir, "images", img.Value.GetProperty("file").GetString()!));
            Assert.AreEqual(img.Value.GetProperty("h").GetInt64(), image.shape[2], $"{img.Name} height");
            Assert.AreEqual(img.Value.GetProperty("w").GetInt64(), image.shape[3], $"{img.Name} width");

            using var patches = musiq.Patches(image);
            Assert.AreEqual(img.Value.GetProperty("seq_len").GetInt64(), patches.shape[1], $"{img.Name} seq_len");
            using var rows = patches[0];
            // Positions, scale ids and masks are exact small integers.
            foreach (var (name, column) in new[] { ("spatial_pos", -3), ("scale_pos", -2), ("mask", -1) })
            {
                using var col = rows[.., column];
                TensorAssert.MaxAbsBelow(col, io[prefix + name], 0, prefix + name);
                checkedNames.Add(prefix + name);
            }
            using var pix = rows[.., ..pixels].to_type(ScalarType.Float64);
            using var sum = pix.sum(1);
            using var sumSq = pix.square().sum(1);
            // A sum of 3·P² values each within PatchTol (|x| ≤ ~1.2 after bicubic overshoot) bounds these.
            double sumTol = pixels * PatchTol, sumSqTol = pixels * PatchTol * 2.5;
            TensorAssert.MaxAbsBelow(sum, io[prefix + "patch_sum"], sumTol, prefix + "patch_sum");
            TensorAssert.MaxAbsBelow(sumSq, io[prefix + "patch_sumsq"], sumSqTol, prefix + "patch_sumsq");
            maxSum = Math.Max(maxSum, TensorAssert.MaxAbs(sum, io[prefix + "patch_sum"]));
            maxSumSq = Math.Max(maxSumSq, TensorAssert.MaxAbs(sumSq, io[prefix + "patch_sumsq"]));
            checkedNames.UnionWith([prefix + "patch_sum", prefix + "patch_sumsq"]);

            if (io.Contains(prefix + "patches_scale0_and_orig"))
            {
                using var selected = RowsOfScales0AndOriginal(rows, musiq.Options, io[prefix + "patches_scale0_and_orig"].shape[0]);
                TensorAssert.MaxAbsBelow(selected, io[prefix + "patches_scale0_and_orig"], PatchTol, prefix + "patches_scale0_and_orig");
                maxPatch = Math.Max(maxPatch, TensorAssert.MaxAbs(selected, io[prefix + "patches_scale0_and_orig"]));
                checkedNames.Add(prefix + "patches_scale0_and_orig");
            }

            using var trace = musiq.Model.Trace(patches);
            using var emb = trace.Embedding[0];
            using var cls = trace.EncoderCls[0];
            using (var scaleT = io[prefix + "embedding_out"].abs().max())
            {
                double embTol = EmbeddingTol * Math.Max(1, scaleT.item<float>());
                TensorAssert.MaxAbsBelow(emb, io[prefix + "embedding_out"], embTol, prefix + "embedding_out");
                maxEmbRel = Math.Max(maxEmbRel, TensorAssert.MaxAbs(emb, io[prefix + "embedding_out"]) / Math.Max(1, scaleT.item<float>()));
            }
            TensorAssert.MaxAbsBelow(cls, io[prefix + "encoder_out_cls"], EmbeddingTol, prefix + "encoder_out_cls");
            TensorAssert.MaxAbsBelow(trace.Score, io[prefix + "score"], ScoreTol, prefix + "score");
            maxEmb = Math.Max(maxEmb, TensorAssert.MaxAbs(emb, io[prefix + "embedding_out"]));
            maxCls = Math.Max(maxCls, TensorAssert.MaxAbs(cls, io[prefix + "encoder_out_cls"]));
            maxScore = Math.Max(maxScore, TensorAssert.MaxAbs(trace.Score, io[prefix + "score"]));
            checkedNames.UnionWith([prefix + "embedding_out", prefix + "encoder_out_cls", prefix + "score"]);

            // The metric entry point (pyiqa musiq(img)) against expected.csv.
            double score = musiq.Score(image);
            double csvErr = Math.Abs(score - expected[img.Name].Value);
            Assert.IsTrue(csvErr <= ScoreTol, $"{img.Name}: |score - expected.csv| = {csvErr:E3}");
            Assert.AreEqual(img.Value.GetProperty("seq_len").GetInt64().ToString(), expected[img.Name].Details["seq_len"]);
            maxScore = Math.Max(maxScore, csvErr);
        }
        var unchecked_ = io.WithPrefix("musiq.").Where(n => !checkedNames.Contains(n)).ToList();
        Assert.AreEqual(0, unchecked_.Count, $"not compared: {string.Join(", ", unchecked_)}");
        TestContext.WriteLine($"MUSIQ max |Δ|: patches {maxPatch:E2}, patch_sum {maxSum:E2}, patch_sumsq {maxSumSq:E2}, " +
                              $"embedding {maxEmb:E2} (scaled {maxEmbRel:E2}), encoder cls {maxCls:E2}, score {maxScore:E2}");
    }

    /// <summary>
    /// The rows of the first resized scale and of the original resolution. The fixture stores them as one block; we take
    /// the two sections by position (scale 0 = its first ceil(L0/P)² rows) and check the count against the stored one.
    /// </summary>
    static Tensor RowsOfScales0AndOriginal(Tensor rows, MusiqOptions o, long expectedRows)
    {
        var lengths = o.LongerSideLengths.Order().ToArray();
        var sectionLengths = lengths.Select(l => (long)Math.Pow(Math.Ceiling((double)l / o.PatchSize), 2)).ToArray();
        long originalStart = sectionLengths.Sum();
        using var first = rows[..(int)sectionLengths[0]];
        using var original = rows[(int)originalStart..];
        var selected = torch.cat([first, original], 0);
        Assert.AreEqual(expectedRows, selected.shape[0], "rows of scale 0 + original");
        return selected;
    }

    static MusiqMetric Tiny()
    {
        var options = new MusiqOptions { HiddenSize = 16, MlpDim = 32, NumHeads = 2, NumLayers = 1 };
        using var model = new MusiqModel(options);
        var sd = model.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value, StringComparer.Ordinal);
        return new MusiqMetric(options, sd);
    }

    [TestMethod]
    public void Score_WithReferenceOrBadShape_ThrowsNamingParameter()
    {
        using var musiq = Tiny();
        Assert.AreEqual(MetricMode.NoReference, musiq.Mode);
        Assert.IsFalse(musiq.LowerIsBetter);
        using var img = torch.rand(1, 3, 40, 50);
        var e = Assert.ThrowsExactly<ArgumentException>(() => musiq.Score(img, img));
        Assert.AreEqual("reference", e.ParamName);
        using var gray = torch.rand(1, 1, 40, 50);
        e = Assert.ThrowsExactly<ArgumentException>(() => musiq.Score(gray));
        Assert.AreEqual("distorted", e.ParamName);
        using var extreme = torch.rand(1, 3, 1, 4000);
        e = Assert.ThrowsExactly<ArgumentException>(() => musiq.Score(extreme));
        StringAssert.Contains(e.Message, "aspect ratio");
    }

    [TestMethod]
    public void Score_SmallImage_GivesFiniteScoreAndExpectedSequenceLength()
    {
        using var musiq = Tiny();
        using var img = torch.rand(1, 3, 40, 50);
        using var patches = musiq.Patches(img);
        // 224: 49 rows; 384: 144 rows; original 40x50 → 2x2 patches.
        Assert.AreEqual(49 + 144 + 4, patches.shape[1]);
        Assert.IsTrue(double.IsFinite(musiq.Score(img)));
    }

    [TestMethod]
    public void Constructor_FreshModel_HasPyTorchInitialNormsAndConvertsToFloat64()
    {
        var options = new MusiqOptions { HiddenSize = 16, MlpDim = 32, NumHeads = 2, NumLayers = 2 };
        using var model = new MusiqModel(options);
        foreach (var (key, value) in model.state_dict().Where(kv => kv.Key.Contains(".gn") || kv.Key.StartsWith("gn_", StringComparison.Ordinal)))
        {
            float expected = key.EndsWith(".weight", StringComparison.Ordinal) ? 1 : 0;
            Assert.IsTrue(value.eq(expected).all().item<bool>(), $"{key} is not initialised to {expected}");
        }
        using var img = torch.rand(1, 3, 40, 50);
        using var patches = MusiqPatches.FromImage(img, options);
        using var score32 = model.forward(patches);
        model.to(ScalarType.Float64);
        using var patches64 = patches.to_type(ScalarType.Float64);
        using var score64 = model.forward(patches64);
        Assert.AreEqual(ScalarType.Float64, score64.dtype);
        Assert.AreEqual(score64.item<double>(), score32.item<float>(), 1e-4);
    }

    [TestMethod]
    public void FromModelDirectory_CheckpointMissing_ThrowsNamingFile()
    {
        var empty = Directory.CreateTempSubdirectory("hfdiff-models-").FullName;
        try
        {
            var e = Assert.ThrowsExactly<HfDiff.Torch.Assets.ModelAssetMissingException>(
                () => MusiqMetric.FromModelDirectory(new HfDiff.Torch.Assets.ModelDirectory(empty)));
            StringAssert.Contains(e.Message, "musiq_koniq_ckpt-e95806b9.pth");
        }
        finally { Directory.Delete(empty, true); }
    }

    [TestMethod]
    public void Options_HeadsNotDividingHidden_ThrowsNamingOption()
    {
        var e = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => new MusiqModel(new MusiqOptions { HiddenSize = 10, NumHeads = 3 }));
        Assert.AreEqual("NumHeads", e.ParamName);
        e = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => new MusiqModel(new MusiqOptions { NumScales = 2 }));
        Assert.AreEqual("NumScales", e.ParamName);
    }

    [TestMethod]
    public void Constructor_StateDictWithMissingKey_ThrowsNamingKey()
    {
        var options = new MusiqOptions { HiddenSize = 16, MlpDim = 32, NumHeads = 2, NumLayers = 1 };
        using var model = new MusiqModel(options);
        var sd = model.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value, StringComparer.Ordinal);
        sd.Remove("transformer_encoder.cls");
        var e = Assert.ThrowsExactly<CheckpointFormatException>(() => new MusiqMetric(options, sd, "musiq_test.pth"));
        StringAssert.Contains(e.Message, "musiq_test.pth");
        StringAssert.Contains(e.Message, "transformer_encoder.cls");
    }
}
