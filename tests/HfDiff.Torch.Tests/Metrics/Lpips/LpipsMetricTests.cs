using System.Text.Json;
using HfDiff.Tests.Common;
using HfDiff.Torch.Imaging;
using HfDiff.Torch.Metrics;
using HfDiff.Torch.Metrics.Lpips;
using HfDiff.Torch.Weights;
using TorchSharp;
using static TorchSharp.torch;

namespace HfDiff.Torch.Tests.Metrics.Lpips;

[TestClass]
public class LpipsMetricTests
{
    // iqa README §2 tolerances.
    const double DistanceTol = 1e-6, DiffMapTol = 1e-5;

    public TestContext TestContext { get; set; } = null!;

    static LpipsNet NetOf(JsonElement netCfg) => netCfg.GetProperty("torchvision_arch").GetString() switch
    {
        "alex" => LpipsNet.Alex,
        "vgg" => LpipsNet.Vgg,
        var other => throw new AssertFailedException($"unknown torchvision_arch '{other}'"),
    };

    /// <summary>The trunk of one fixture net: the seeded checkpoint file, or the closed-form formula (README §2).</summary>
    static Dictionary<string, Tensor> TrunkStateDict(string dir, JsonElement netCfg)
    {
        if (netCfg.TryGetProperty("backbone_formula", out var formula)) return LpipsFormulaTrunk.StateDict(NetOf(netCfg), formula);
        return Checkpoint.LoadStateDict(Path.Combine(dir, netCfg.GetProperty("backbone").GetString()!));
    }

    static string LinearPath(string dir, JsonElement netCfg) =>
        Path.Combine(dir, netCfg.GetProperty("lin_weights").GetString()!.Split(' ')[0]);

    // Built once per fixture net for the class (the VGG trunk is ~15M formula weights).
    static readonly Dictionary<string, LpipsMetric> Built = new(StringComparer.Ordinal);

    [ClassCleanup]
    public static void DisposeModels()
    {
        foreach (var m in Built.Values) m.Dispose();
        Built.Clear();
    }

    static LpipsMetric Cached(string dir, string name, JsonElement netCfg)
    {
        if (!Built.TryGetValue(name, out var m)) Built[name] = m = Build(dir, netCfg);
        return m;
    }

    static LpipsMetric Build(string dir, JsonElement netCfg)
    {
        var trunk = TrunkStateDict(dir, netCfg);
        var lin = Checkpoint.LoadStateDict(LinearPath(dir, netCfg));
        try { return new LpipsMetric(NetOf(netCfg), trunk, lin); }
        finally { foreach (var t in trunk.Values.Concat(lin.Values)) t.Dispose(); }
    }

    /// <summary>lpips.im2tensor: u8 / 127.5 - 1 in float64, then float32.</summary>
    static Tensor ReadMinusOneToOne(string path)
    {
        using var x01 = ImageIO.ReadTensor(path);
        using var u8 = (x01.to_type(ScalarType.Float64) * 255).round();
        return (u8 / 127.5 - 1).to_type(ScalarType.Float32);
    }

    static JsonElement Nets(string dir) => TestPaths.ReadConfig(dir).GetProperty("lpips").GetProperty("nets");

    [TestMethod]
    [TestCategory("Parity.Lpips")]
    public void TrunkWeights_FixtureBackbones_MatchConfigChecksums()
    {
        var dir = TestPaths.Fixture("iqa");
        foreach (var net in Nets(dir).EnumerateObject())
        {
            var sd = TrunkStateDict(dir, net.Value);
            try { LpipsFormulaTrunk.AssertChecksums(sd, net.Value.GetProperty("backbone_checksums"), net.Name); }
            finally { foreach (var t in sd.Values) t.Dispose(); }
        }
    }

    [TestMethod]
    [TestCategory("Parity.Lpips")]
    public void Forward_FixturePairs_MatchDistancePerLayerAndDiffMaps()
    {
        var dir = TestPaths.Fixture("iqa");
        var cfg = TestPaths.ReadConfig(dir).GetProperty("lpips");
        Assert.AreEqual("0.1", cfg.GetProperty("version").GetString());
        Assert.IsFalse(cfg.GetProperty("spatial").GetBoolean());
        Assert.IsFalse(cfg.GetProperty("normalize_input").GetBoolean());
        using var io = new FixtureTensors(Path.Combine(dir, "io.safetensors"));
        foreach (var net in cfg.GetProperty("nets").EnumerateObject())
        {
            var lpips = Cached(dir, net.Name, net.Value);
            var checkedNames = new HashSet<string>(StringComparer.Ordinal);
            double maxDist = 0, maxLayer = 0, maxMap = 0;
            foreach (var row in IqaExpectedRow.Read(dir, $"lpips_{net.Name}"))
            {
                using var img0 = ReadMinusOneToOne(Path.Combine(dir, "images", row.Details["img0"]));
                using var img1 = ReadMinusOneToOne(Path.Combine(dir, "images", row.Details["img1"]));
                using var output = lpips.Forward(img0, img1, normalize: false, returnDiffs: true);
                string prefix = $"lpips.{net.Name}.{row.Image}.";

                TensorAssert.MaxAbsBelow(output.Distance, io[prefix + "distance"], DistanceTol, prefix + "distance");
                maxDist = Math.Max(maxDist, TensorAssert.MaxAbs(output.Distance, io[prefix + "distance"]));
                double csvErr = Math.Abs(output.Distance.item<float>() - row.Value);
                Assert.IsTrue(csvErr <= DistanceTol, $"{prefix}: |distance - expected.csv| = {csvErr:E3}");
                maxDist = Math.Max(maxDist, csvErr);
                using var perLayer = output.PerLayer[0];
                TensorAssert.MaxAbsBelow(perLayer, io[prefix + "per_layer"], DistanceTol, prefix + "per_layer");
                maxLayer = Math.Max(maxLayer, TensorAssert.MaxAbs(perLayer, io[prefix + "per_layer"]));
                checkedNames.UnionWith([prefix + "distance", prefix + "per_layer"]);

                for (int k = 0; k < output.Diffs!.Count; k++)
                {
                    if (io.Contains($"{prefix}diff{k}_chsum"))
                    {
                        using var chsum = output.Diffs[k].sum(1)[0];
                        TensorAssert.MaxAbsBelow(chsum, io[$"{prefix}diff{k}_chsum"], DiffMapTol, $"{prefix}diff{k}_chsum");
                        maxMap = Math.Max(maxMap, TensorAssert.MaxAbs(chsum, io[$"{prefix}diff{k}_chsum"]));
                        checkedNames.Add($"{prefix}diff{k}_chsum");
                    }
                    if (io.Contains($"{prefix}diff{k}"))
                    {
                        using var full = output.Diffs[k][0];
                        TensorAssert.MaxAbsBelow(full, io[$"{prefix}diff{k}"], DiffMapTol, $"{prefix}diff{k}");
                        maxMap = Math.Max(maxMap, TensorAssert.MaxAbs(full, io[$"{prefix}diff{k}"]));
                        checkedNames.Add($"{prefix}diff{k}");
                    }
                }
            }
            // Every stored tensor of this net was compared.
            var unchecked_ = io.WithPrefix($"lpips.{net.Name}.").Where(n => !checkedNames.Contains(n)).ToList();
            Assert.AreEqual(0, unchecked_.Count, $"not compared: {string.Join(", ", unchecked_)}");
            TestContext.WriteLine($"LPIPS {net.Name}: max |Δ| distance {maxDist:E2}, per_layer {maxLayer:E2}, diff maps {maxMap:E2}");
        }
    }

    [TestMethod]
    [TestCategory("Parity.Lpips")]
    public void Score_PyiqaCallOrderOnZeroOneInputs_MatchesExpectedCsv()
    {
        var dir = TestPaths.Fixture("iqa");
        foreach (var net in Nets(dir).EnumerateObject())
        {
            var lpips = Cached(dir, net.Name, net.Value);
            Assert.AreEqual(MetricMode.FullReference, lpips.Mode);
            Assert.IsTrue(lpips.LowerIsBetter);
            double maxErr = 0;
            foreach (var row in IqaExpectedRow.Read(dir, $"lpips_{net.Name}"))
            {
                // pyiqa: lpips(dist, ref) with [0,1] inputs; img1 is the distorted image of each pair.
                using var reference = ImageIO.ReadTensor(Path.Combine(dir, "images", row.Details["img0"]));
                using var distorted = ImageIO.ReadTensor(Path.Combine(dir, "images", row.Details["img1"]));
                double err = Math.Abs(lpips.Score(distorted, reference) - row.Value);
                Assert.IsTrue(err <= DistanceTol, $"{net.Name}/{row.Image}: |score - expected| = {err:E3}");
                maxErr = Math.Max(maxErr, err);
            }
            TestContext.WriteLine($"LPIPS {net.Name} Score: max |Δ| {maxErr:E2}");
        }
    }

    static LpipsMetric Untrained(LpipsNet net)
    {
        using var trunk = LpipsTrunk.Create(net);
        var trunkSd = trunk.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value, StringComparer.Ordinal);
        var chns = trunk.Channels;
        var lin = Enumerable.Range(0, chns.Count).ToDictionary(k => $"lin{k}.model.1.weight", k => torch.ones(1, chns[k], 1, 1));
        try { return new LpipsMetric(net, trunkSd, lin); }
        finally { foreach (var t in lin.Values) t.Dispose(); }
    }

    [TestMethod]
    public void FromModelDirectory_FilesMissing_ThrowsNamingOfficialFiles()
    {
        var empty = Directory.CreateTempSubdirectory("hfdiff-models-").FullName;
        try
        {
            var models = new HfDiff.Torch.Assets.ModelDirectory(empty);
            var e = Assert.ThrowsExactly<HfDiff.Torch.Assets.ModelAssetMissingException>(() => LpipsMetric.FromModelDirectory(LpipsNet.Alex, models));
            StringAssert.Contains(e.Message, "alexnet-owt-7be5be79.pth");
            e = Assert.ThrowsExactly<HfDiff.Torch.Assets.ModelAssetMissingException>(() => LpipsMetric.FromModelDirectory(LpipsNet.Vgg, models));
            StringAssert.Contains(e.Message, "vgg16-397923af.pth");
        }
        finally { Directory.Delete(empty, true); }
    }

    [TestMethod]
    public void Score_MissingReference_ThrowsNamingParameter()
    {
        using var lpips = Untrained(LpipsNet.Alex);
        using var x = torch.rand(1, 3, 64, 64);
        var e = Assert.ThrowsExactly<ArgumentNullException>(() => lpips.Score(x));
        Assert.AreEqual("reference", e.ParamName);
    }

    [TestMethod]
    public void Score_ShapeMismatchOrTooSmall_ThrowsNamingParameter()
    {
        using var lpips = Untrained(LpipsNet.Alex);
        using var a = torch.rand(1, 3, 64, 64);
        using var b = torch.rand(1, 3, 64, 48);
        var e = Assert.ThrowsExactly<ArgumentException>(() => lpips.Score(a, b));
        Assert.AreEqual("reference", e.ParamName);
        using var tiny = torch.rand(1, 3, 16, 16);
        e = Assert.ThrowsExactly<ArgumentException>(() => lpips.Score(tiny, tiny));
        StringAssert.Contains(e.Message, "at least 31×31 pixels");
        using var gray = torch.rand(1, 1, 64, 64);
        e = Assert.ThrowsExactly<ArgumentException>(() => lpips.Score(gray, gray));
        Assert.AreEqual("distorted", e.ParamName);
    }

    [TestMethod]
    public void Constructor_LinearLayerMissing_ThrowsNamingLayer()
    {
        using var trunk = LpipsTrunk.Create(LpipsNet.Vgg);
        var trunkSd = trunk.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value, StringComparer.Ordinal);
        var lin = Enumerable.Range(0, 4).ToDictionary(k => $"lin{k}.model.1.weight", k => torch.ones(1, trunk.Channels[k], 1, 1));
        var e = Assert.ThrowsExactly<CheckpointFormatException>(() => new LpipsMetric(LpipsNet.Vgg, trunkSd, lin, linearSource: "vgg.pth"));
        StringAssert.Contains(e.Message, "vgg.pth (lin4)");
        StringAssert.Contains(e.Message, "model.1.weight");
        foreach (var t in lin.Values) t.Dispose();
    }

    [TestMethod]
    public void Constructor_TorchvisionClassifierKeys_AreIgnoredButMissingFeatureThrows()
    {
        using var trunk = LpipsTrunk.Create(LpipsNet.Alex);
        var sd = trunk.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value, StringComparer.Ordinal);
        sd["classifier.1.weight"] = torch.zeros(4096, 9216);
        var chns = trunk.Channels;
        var lin = Enumerable.Range(0, chns.Count).ToDictionary(k => $"lin{k}.model.1.weight", k => torch.ones(1, chns[k], 1, 1));
        using (new LpipsMetric(LpipsNet.Alex, sd, lin)) { }
        sd.Remove("features.10.bias");
        var e = Assert.ThrowsExactly<CheckpointFormatException>(() => new LpipsMetric(LpipsNet.Alex, sd, lin, trunkSource: "alexnet.pth"));
        StringAssert.Contains(e.Message, "alexnet.pth");
        StringAssert.Contains(e.Message, "features.10.bias");
    }

    [TestMethod]
    public void Forward_IdenticalInputs_GiveZeroAndSymmetricDistance()
    {
        using var lpips = Untrained(LpipsNet.Alex);
        using var a = torch.rand(2, 3, 64, 64, generator: new TorchSharp.torch.Generator(7));
        using var b = torch.rand(2, 3, 64, 64, generator: new TorchSharp.torch.Generator(8));
        using var same = lpips.Forward(a, a, normalize: true);
        Assert.AreEqual(0f, same.Distance.abs().max().item<float>());
        using var ab = lpips.Forward(a, b, normalize: true);
        using var ba = lpips.Forward(b, a, normalize: true);
        Assert.IsTrue(ab.Distance.allclose(ba.Distance, 0, 0));
        Assert.IsTrue(ab.Distance.min().item<float>() > 0);
        CollectionAssert.AreEqual(new long[] { 2, 5 }, ab.PerLayer.shape);
    }
}
