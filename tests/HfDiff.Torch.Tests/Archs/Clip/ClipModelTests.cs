using System.Text.Json;
using HfDiff.Tests.Common;
using HfDiff.Torch.Archs.Clip;
using HfDiff.Torch.Tests.Metrics.ClipIqa;
using HfDiff.Torch.Weights;
using static TorchSharp.torch;

namespace HfDiff.Torch.Tests.Archs.Clip;

[TestClass]
[TestCategory("Parity.Clipiqa")]
public class ClipModelTests
{
    static Dictionary<string, long[]> ManifestShapes(JsonElement manifest, out Dictionary<string, string> dtypes)
    {
        var shapes = new Dictionary<string, long[]>();
        dtypes = [];
        foreach (var p in manifest.GetProperty("keys").EnumerateObject())
        {
            shapes[p.Name] = p.Value.GetProperty("shape").EnumerateArray().Select(e => e.GetInt64()).ToArray();
            dtypes[p.Name] = p.Value.GetProperty("dtype").GetString()!;
        }
        return shapes;
    }

    static ClipOptions OptionsFrom(JsonElement c) => new()
    {
        EmbedDim = c.GetProperty("embed_dim").GetInt32(),
        ImageResolution = c.GetProperty("image_resolution").GetInt32(),
        VisionLayers = c.GetProperty("vision_layers").EnumerateArray().Select(e => e.GetInt32()).ToArray() is [var a, var b, var d, var e] ? (a, b, d, e)
            : throw new AssertFailedException("vision_layers must have 4 entries"),
        VisionWidth = c.GetProperty("vision_width").GetInt32(),
        ContextLength = c.GetProperty("context_length").GetInt32(),
        VocabSize = c.GetProperty("vocab_size").GetInt32(),
        TransformerWidth = c.GetProperty("transformer_width").GetInt32(),
        TransformerHeads = c.GetProperty("transformer_heads").GetInt32(),
        TransformerLayers = c.GetProperty("transformer_layers").GetInt32(),
    };

    [TestMethod]
    public void Constructor_FullRn50Config_MatchesManifestKeysAndShapes()
    {
        var dir = TestPaths.Fixture("iqa");
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, "clip_rn50_manifest_full.json")));
        var shapes = ManifestShapes(doc.RootElement, out var dtypes);
        // The manifest lists the TorchScript archive's extra int scalars only in its note; weights keys are compared.
        var options = ClipOptions.FromShapes(shapes, "manifest");
        Assert.AreEqual(OptionsFrom(doc.RootElement.GetProperty("constructor")), options);

        using var model = new ClipModel(options);
        var sd = model.state_dict();
        var missing = shapes.Keys.Except(sd.Keys).ToList();
        var extra = sd.Keys.Except(shapes.Keys).ToList();
        Assert.AreEqual(0, missing.Count + extra.Count, $"missing: {string.Join(", ", missing.Take(5))}; extra: {string.Join(", ", extra.Take(5))}");
        foreach (var (k, t) in sd)
        {
            CollectionAssert.AreEqual(shapes[k], t.shape, k);
            Assert.AreEqual(dtypes[k] == "int64" ? ScalarType.Int64 : ScalarType.Float32, t.dtype, k);
        }
    }

    [TestMethod]
    public void FromStateDict_ReducedCheckpoint_MatchesFixtureConstructorAndDerivedHeads()
    {
        var fx = new ClipIqaFixture();
        var sd = ClipWeights.ReadStateDict(fx.PlainWeights);
        try
        {
            var options = ClipOptions.FromStateDict(sd);
            Assert.AreEqual(OptionsFrom(fx.Config.GetProperty("reduced_clip_constructor")) with { TransformerHeads = options.TransformerHeads }, options);
            var derived = fx.Config.GetProperty("derived_by_build_model");
            Assert.AreEqual(derived.GetProperty("vision_heads").GetInt32(), options.VisionHeads);
            Assert.AreEqual(derived.GetProperty("text_heads").GetInt32(), options.TransformerHeads);
        }
        finally { foreach (var t in sd.Values) t.Dispose(); }
    }

    [TestMethod]
    public void HalfPrecisionParameterNames_ReducedModel_EqualConvertWeightsSet()
    {
        var fx = new ClipIqaFixture();
        using var model = ClipModel.Load(fx.PlainWeights);
        var expected = fx.Config.GetProperty("torchscript_archive").GetProperty("convert_weights_fp16_keys")
                         .EnumerateArray().Select(e => e.GetString()!).OrderBy(s => s, StringComparer.Ordinal).ToList();
        var actual = model.HalfPrecisionParameterNames().OrderBy(s => s, StringComparer.Ordinal).ToList();
        CollectionAssert.AreEqual(expected, actual);
    }

    [TestMethod]
    public void Load_Fp32StateDict_RoundsConvertSetToHalfOnly()
    {
        using var source = new ClipModel(new ClipOptions { EmbedDim = 16, VisionLayers = (1, 1, 1, 1), VisionWidth = 4, TransformerWidth = 64, TransformerHeads = 1, TransformerLayers = 1, VocabSize = 100, ContextLength = 8 });
        var sd = source.state_dict();
        using var model = new ClipModel(source.Options);
        model.LoadStateDict(sd);
        var loaded = model.state_dict();
        var half = model.HalfPrecisionParameterNames().ToHashSet();
        foreach (var (k, v) in sd)
        {
            if (v.dtype != ScalarType.Float32) continue;
            using var expected = half.Contains(k) ? v.to_type(ScalarType.Float16).to_type(ScalarType.Float32) : v.alias();
            Assert.IsTrue(loaded[k].allclose(expected, 0, 0), $"{k} ({(half.Contains(k) ? "fp16-rounded" : "kept fp32")})");
        }
        Assert.IsTrue(half.Contains("visual.conv1.weight") && !half.Contains("visual.bn1.weight") && !half.Contains("positional_embedding"));
    }

    [TestMethod]
    public void FromShapes_VitStateDict_ThrowsNotSupported()
    {
        var e = Assert.ThrowsExactly<NotSupportedException>(() => ClipOptions.FromShapes(new Dictionary<string, long[]> { ["visual.proj"] = [768, 512] }, "'ViT-B-32.pt'"));
        StringAssert.Contains(e.Message, "ViT-B-32.pt");
    }

    [TestMethod]
    public void FromShapes_MissingKey_ThrowsNamingKey()
    {
        var e = Assert.ThrowsExactly<CheckpointFormatException>(() => ClipOptions.FromShapes(new Dictionary<string, long[]> { ["visual.layer1.0.conv1.weight"] = [64, 64, 1, 1] }, "'x.pt'"));
        StringAssert.Contains(e.Message, "visual.attnpool.positional_embedding");
    }

    [TestMethod]
    public void Validate_HeadsNotDividingWidth_Throws()
    {
        var e = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => new ClipOptions { TransformerWidth = 100, TransformerHeads = 8 }.Validate());
        Assert.AreEqual("TransformerWidth", e.ParamName);
    }
}
