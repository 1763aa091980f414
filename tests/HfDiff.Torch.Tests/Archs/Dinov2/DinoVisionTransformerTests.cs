using System.Text.Json;
using HfDiff.Tests.Common;
using HfDiff.Torch.Assets;
using HfDiff.Torch.Archs.Dinov2;
using HfDiff.Torch.Weights;
using TorchSharp;
using static TorchSharp.torch;

namespace HfDiff.Torch.Tests.Archs.Dinov2;

[TestClass]
public class DinoVisionTransformerTests
{
    // README "Tolerances (float32)": pos_embed_interp 1e-5 abs; tokens / blocks / outputs 1e-4 abs or 1e-4 rel.
    const double PosEmbedTolerance = 1e-5;
    const double TokenTolerance = 1e-4;

    static string Dir => TestPaths.Fixture("dinov2");

    static IEnumerable<(string Name, JsonElement Model)> Models(JsonElement config) =>
        config.GetProperty("models").EnumerateObject().Select(p => (p.Name, p.Value));

    static DinoVisionTransformer LoadModel(JsonElement model)
    {
        var net = new DinoVisionTransformer(Dinov2FixtureConfig.Options(model.GetProperty("constructor_kwargs")));
        net.LoadWeights(Path.Combine(Dir, model.GetProperty("checkpoint").GetString()!));
        net.eval();
        return net;
    }

    /// <summary>Passes when the max abs error or the relative L2 error is within tolerance; returns the max abs error.</summary>
    static double Check(Tensor actual, Tensor expected, double tolerance, string name)
    {
        TensorAssert.AssertSameShape(actual, expected, name);
        double abs = TensorAssert.MaxAbs(actual, expected), rel = TensorAssert.RelL2(actual, expected);
        Assert.IsTrue(abs <= tolerance || rel <= tolerance, $"{name}: max |Δ| {abs:E3} and rel L2 {rel:E3} both > {tolerance:E0}");
        return abs;
    }

    [TestMethod]
    [TestCategory("Parity.Dinov2")]
    public void ForwardFeatures_EveryModelAndCase_MatchesReference()
    {
        var config = TestPaths.ReadConfig(Dir);
        using var io = new FixtureTensors(Path.Combine(Dir, "io.safetensors"));
        int cases = 0;
        foreach (var (name, model) in Models(config))
        {
            using var net = LoadModel(model);
            using var _ = torch.no_grad();
            foreach (var c in model.GetProperty("cases").EnumerateObject())
            {
                var p = $"{name}/{c.Name}/";
                var x = io[c.Value.GetProperty("input").GetString()!];
                var grid = c.Value.GetProperty("grid_hw").EnumerateArray().Select(e => e.GetInt64()).ToArray();
                CollectionAssert.AreEqual(grid, new[] { x.shape[2] / net.PatchSize, x.shape[3] / net.PatchSize }, $"{p}grid");
                double worst = 0, worstPos;

                using (var pos = net.InterpolatePositionEmbedding(x.shape[2], x.shape[3]))
                    worstPos = Check(pos, io[p + "pos_embed_interp"], PosEmbedTolerance, p + "pos_embed_interp");
                using (var tokens = net.PrepareTokensWithMasks(x))
                    worst = Math.Max(worst, Check(tokens, io[p + "prepared_tokens"], TokenTolerance, p + "prepared_tokens"));

                var blockOuts = net.GetBlockOutputs(x);
                try
                {
                    var blockNames = io.WithPrefix(p + "block").Where(k => k.EndsWith("_out", StringComparison.Ordinal)).ToList();
                    Assert.AreEqual(net.Depth, blockNames.Count, $"{p}: block outputs in fixture");
                    for (int i = 0; i < net.Depth; i++)
                        worst = Math.Max(worst, Check(blockOuts[i], io[$"{p}block{i}_out"], TokenTolerance, $"{p}block{i}_out"));
                }
                finally { foreach (var t in blockOuts) t.Dispose(); }

                using (var f = net.ForwardFeatures(x))
                {
                    worst = Math.Max(worst, Check(f.XNormClsToken, io[p + "x_norm_clstoken"], TokenTolerance, p + "x_norm_clstoken"));
                    worst = Math.Max(worst, Check(f.XNormPatchTokens, io[p + "x_norm_patchtokens"], TokenTolerance, p + "x_norm_patchtokens"));
                    worst = Math.Max(worst, Check(f.XPrenorm, io[p + "x_prenorm"], TokenTolerance, p + "x_prenorm"));
                    if (io.Contains(p + "x_norm_regtokens"))
                        worst = Math.Max(worst, Check(f.XNormRegTokens, io[p + "x_norm_regtokens"], TokenTolerance, p + "x_norm_regtokens"));
                    else
                        Assert.AreEqual(0L, f.XNormRegTokens.shape[1], $"{p}: no registers expected");
                    Assert.IsNull(f.Masks);
                }
                using (var y = net.forward(x))
                    worst = Math.Max(worst, Check(y, io[p + "forward"], TokenTolerance, p + "forward"));

                int n = io.WithPrefix(p + "intermediate").Count(k => k.EndsWith("_cls", StringComparison.Ordinal));
                Assert.IsTrue(n > 0, $"{p}: no intermediate layers in fixture");
                var layers = net.GetIntermediateLayers(x, n, reshape: true, norm: true);
                try
                {
                    for (int i = 0; i < n; i++)
                    {
                        worst = Math.Max(worst, Check(layers[i].PatchTokens, io[$"{p}intermediate{i}_patch_bchw"], TokenTolerance, $"{p}intermediate{i}_patch_bchw"));
                        worst = Math.Max(worst, Check(layers[i].ClassToken, io[$"{p}intermediate{i}_cls"], TokenTolerance, $"{p}intermediate{i}_cls"));
                    }
                }
                finally { foreach (var l in layers) l.Dispose(); }
                Console.WriteLine($"{p}: pos_embed_interp max |Δ| {worstPos:E3} (tol {PosEmbedTolerance:E0}); tokens/blocks/outputs max |Δ| {worst:E3} (tol {TokenTolerance:E0})");
                cases++;
            }
        }
        Assert.IsTrue(cases > 0, "config.json lists no cases");
    }

    [TestMethod]
    [TestCategory("Parity.Dinov2")]
    public void ForwardFeatures_WithMasks_MatchesReference()
    {
        var config = TestPaths.ReadConfig(Dir);
        using var io = new FixtureTensors(Path.Combine(Dir, "io.safetensors"));
        foreach (var (name, model) in Models(config))
        {
            using var net = LoadModel(model);
            using var _ = torch.no_grad();
            var x = io[model.GetProperty("masked_case_input").GetString()!];
            var masks = io[$"{name}/masked/masks"];
            Assert.IsTrue(masks.any().item<bool>() && !masks.all().item<bool>(), "fixture masks must mix masked and visible patches");
            using var f = net.ForwardFeatures(x, masks);
            double a = Check(f.XNormClsToken, io[$"{name}/masked/x_norm_clstoken"], TokenTolerance, $"{name}/masked/x_norm_clstoken");
            double b = Check(f.XNormPatchTokens, io[$"{name}/masked/x_norm_patchtokens"], TokenTolerance, $"{name}/masked/x_norm_patchtokens");
            Assert.IsNotNull(f.Masks);
            Assert.IsTrue(f.Masks.equal(masks).all().item<bool>());
            // The mask must matter: the unmasked output differs.
            using var plain = net.ForwardFeatures(x);
            Assert.IsTrue(TensorAssert.MaxAbs(plain.XNormPatchTokens, f.XNormPatchTokens) > 1e-2, $"{name}: masking had no effect");
            Console.WriteLine($"{name}/masked: max |Δ| cls {a:E3}, patches {b:E3} (tol {TokenTolerance:E0})");
        }
    }

    [TestMethod]
    [TestCategory("Parity.Dinov2")]
    public void StateDict_EveryHubManifestModel_HasOfficialKeysShapesAndOrder()
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(Dir, "manifest_full.json")));
        var meta = torch.device("meta");
        int models = 0;
        foreach (var entry in doc.RootElement.EnumerateObject())
        {
            var m = entry.Value;
            var options = Dinov2FixtureConfig.Options(m.GetProperty("constructor_kwargs"), m);
            Assert.AreEqual(options, DinoVisionTransformerOptions.FromHubName(m.GetProperty("hub_fn").GetString()!), $"{entry.Name}: FromHubName");
            using var net = new DinoVisionTransformer(options, meta);
            var sd = net.state_dict();
            var expected = m.GetProperty("keys").EnumerateArray()
                .Select(k => (Key: k[0].GetString()!, Shape: k[1].EnumerateArray().Select(s => s.GetInt64()).ToArray(), DType: k[2].GetString()!)).ToList();
            CollectionAssert.AreEqual(expected.Select(e => e.Key).ToList(), sd.Keys.ToList(), $"{entry.Name}: keys and order");
            foreach (var (key, shape, dtype) in expected)
            {
                CollectionAssert.AreEqual(shape, sd[key].shape, $"{entry.Name}: {key}");
                Assert.AreEqual("float32", dtype);
                Assert.AreEqual(ScalarType.Float32, sd[key].dtype, $"{entry.Name}: {key}");
            }
            Assert.AreEqual(m.GetProperty("num_params").GetInt64(), net.parameters().Sum(p => p.numel()), $"{entry.Name}: parameter count");
            models++;
        }
        Assert.IsTrue(models > 0);
    }

    [TestMethod]
    [TestCategory("Parity.Dinov2")]
    public void LoadStateDict_HuggingFaceLayout_GivesSameOutputs()
    {
        var config = TestPaths.ReadConfig(Dir);
        using var io = new FixtureTensors(Path.Combine(Dir, "io.safetensors"));
        foreach (var (name, model) in Models(config))
        {
            var options = Dinov2FixtureConfig.Options(model.GetProperty("constructor_kwargs"));
            var official = Checkpoint.LoadStateDict(Path.Combine(Dir, model.GetProperty("checkpoint").GetString()!));
            var hf = RenameToHuggingFace(official, options.EmbedDim);
            var task = hf.ToDictionary(kv => "dinov2." + kv.Key, kv => kv.Value);
            task["classifier.weight"] = torch.zeros(10, 2 * options.EmbedDim);
            task["classifier.bias"] = torch.zeros(10);
            var file = Path.Combine(Path.GetTempPath(), $"hfdiff-dinov2-hf-{Guid.NewGuid():N}.safetensors");
            try
            {
                TorchSharp.PyBridge.Safetensors.SaveStateDict(file, hf);
                var c = model.GetProperty("cases").EnumerateObject().First();
                var x = io[c.Value.GetProperty("input").GetString()!];
                var expected = io[$"{name}/{c.Name}/forward"];
                using var _ = torch.no_grad();
                foreach (var (label, load) in new (string, Action<DinoVisionTransformer>)[]
                {
                    ("Dinov2Model dict", n => n.LoadStateDict(hf)),
                    ("Dinov2ForImageClassification dict", n => n.LoadStateDict(task)),
                    ("Dinov2Model .safetensors", n => n.LoadWeights(file)),
                })
                {
                    using var net = new DinoVisionTransformer(options);
                    load(net);
                    foreach (var (key, value) in net.state_dict())
                        Assert.IsTrue(value.allclose(official[key], 0, 0), $"{name} {label}: {key} differs from the official tensor");
                    using var y = net.forward(x);
                    Check(y, expected, TokenTolerance, $"{name} {label}");
                }
            }
            finally
            {
                File.Delete(file);
                foreach (var t in official.Values.Concat(hf.Values).Concat(task.Values)) t.Dispose();
            }
        }
    }

    // Independent of the library: the renaming of transformers' convert_dinov2_to_hf.py (create_rename_keys + read_in_q_k_v).
    static Dictionary<string, Tensor> RenameToHuggingFace(Dictionary<string, Tensor> official, int dim)
    {
        var hf = new Dictionary<string, Tensor>();
        foreach (var (k, v) in official)
        {
            var parts = k.Split('.');
            if (k == "cls_token") hf["embeddings.cls_token"] = v.clone();
            else if (k == "mask_token") hf["embeddings.mask_token"] = v.clone();
            else if (k == "pos_embed") hf["embeddings.position_embeddings"] = v.clone();
            else if (k == "register_tokens") hf["embeddings.register_tokens"] = v.clone();
            else if (k.StartsWith("patch_embed.proj.")) hf["embeddings.patch_embeddings.projection." + parts[^1]] = v.clone();
            else if (k.StartsWith("norm.")) hf["layernorm." + parts[^1]] = v.clone();
            else if (parts[0] == "blocks")
            {
                var layer = $"encoder.layer.{parts[1]}.";
                var rest = string.Join('.', parts[2..]);
                if (rest.StartsWith("attn.qkv."))
                {
                    var kind = parts[^1];
                    var q = v.narrow(0, 0, dim); var kk = v.narrow(0, dim, dim); var vv = v.narrow(0, 2 * dim, dim);
                    hf[layer + "attention.attention.query." + kind] = q.clone();
                    hf[layer + "attention.attention.key." + kind] = kk.clone();
                    hf[layer + "attention.attention.value." + kind] = vv.clone();
                }
                else if (rest.StartsWith("attn.proj.")) hf[layer + "attention.output.dense." + parts[^1]] = v.clone();
                else if (rest == "ls1.gamma") hf[layer + "layer_scale1.lambda1"] = v.clone();
                else if (rest == "ls2.gamma") hf[layer + "layer_scale2.lambda1"] = v.clone();
                else hf[layer + rest] = v.clone(); // norm1, norm2, mlp.fc1, mlp.fc2
            }
            else Assert.Fail($"unexpected official key {k}");
        }
        Assert.IsFalse(hf.Keys.Any(k => k.Contains("blocks.") || k.Contains("qkv")), "renaming incomplete");
        return hf;
    }

    [TestMethod]
    [TestCategory("Parity.Dinov2")]
    public void Dinov2Hub_EveryManifestModel_KnowsOfficialCheckpointFile()
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(Dir, "manifest_full.json")));
        foreach (var entry in doc.RootElement.EnumerateObject())
        {
            var asset = Dinov2Hub.AssetFor(entry.Value.GetProperty("hub_fn").GetString()!);
            Assert.AreEqual(entry.Value.GetProperty("checkpoint_file").GetString(), asset.FileName, entry.Name);
            StringAssert.EndsWith(asset.Source, "/" + entry.Value.GetProperty("url_path").GetString(), entry.Name);
            CollectionAssert.Contains(KnownAssets.All.ToList(), asset, entry.Name);
        }
    }

    [TestMethod]
    public void Forward_SideNotMultipleOfPatch_ThrowsNamingSide()
    {
        using var net = new DinoVisionTransformer(new() { EmbedDim = 8, Depth = 1, NumHeads = 2, ImgSize = 28 });
        using var x = torch.zeros(1, 3, 28, 30);
        var e = Assert.ThrowsExactly<ArgumentException>(() => net.forward(x));
        StringAssert.Contains(e.Message, "width 30");
    }

    [TestMethod]
    public void Forward_BadMaskShape_ThrowsNamingMasks()
    {
        using var net = new DinoVisionTransformer(new() { EmbedDim = 8, Depth = 1, NumHeads = 2, ImgSize = 28 });
        using var x = torch.zeros(1, 3, 28, 28);
        using var masks = torch.zeros(1, 3, dtype: ScalarType.Bool);
        var e = Assert.ThrowsExactly<ArgumentException>(() => net.ForwardFeatures(x, masks));
        Assert.AreEqual("masks", e.ParamName);
    }

    [TestMethod]
    public void Options_Invalid_ThrowNamingOption()
    {
        Assert.AreEqual("NumHeads", Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => new DinoVisionTransformer(new() { EmbedDim = 10, NumHeads = 3 })).ParamName);
        Assert.AreEqual("name", Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => DinoVisionTransformerOptions.FromHubName("dinov2_vitx14")).ParamName);
    }

    [TestMethod]
    public void FromHubName_RegisterVariants_UseAntialiasAndNoOffset()
    {
        var o = DinoVisionTransformerOptions.FromHubName("dinov2_vitl14_reg");
        Assert.AreEqual(4, o.NumRegisterTokens);
        Assert.IsTrue(o.InterpolateAntialias);
        Assert.AreEqual(0.0, o.InterpolateOffset);
        Assert.AreEqual(1024, o.EmbedDim);
        Assert.AreEqual(Dinov2FfnLayer.SwiGlu, DinoVisionTransformerOptions.FromHubName("dinov2_vitg14").FfnLayer);
    }

    [TestMethod]
    public void Construct_NoLayerScaleAndSwiGlu_HasReferenceKeys()
    {
        var meta = torch.device("meta");
        using var net = new DinoVisionTransformer(new() { EmbedDim = 48, Depth = 1, NumHeads = 2, InitValues = null, FfnLayer = Dinov2FfnLayer.SwiGlu }, meta);
        var sd = net.state_dict();
        Assert.IsFalse(sd.Keys.Any(k => k.Contains(".ls1.") || k.Contains(".ls2.")), "no LayerScale keys when init_values is None");
        // SwiGLUFFNFused: hidden = (int(192·2/3) + 7) // 8 · 8 = 128 → w12 [256, 48], w3 [48, 128].
        CollectionAssert.AreEqual(new long[] { 256, 48 }, sd["blocks.0.mlp.w12.weight"].shape);
        CollectionAssert.AreEqual(new long[] { 48, 128 }, sd["blocks.0.mlp.w3.weight"].shape);
    }
}
