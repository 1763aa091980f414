using HfDiff.Torch.Archs.HfDiff;
using HfDiff.Torch.Assets;
using HfDiff.Torch.Losses;
using HfDiff.Torch.Losses.Perceptual;
using HfDiff.Torch.Weights;
using TorchSharp;
using TorchSharp.PyBridge;
using HfDiff.Torch.Archs.Vgg;
using static TorchSharp.torch;

namespace HfDiff.Torch.Tests.Losses.Perceptual;

[TestClass]
public class VggPerceptualLossTests
{
    static int _threads;

    // See InnPretrainerTests: one intra-op thread is much faster on the loaded 2-core test machine. Restored afterwards.
    [ClassInitialize]
    public static void SingleThread(TestContext _) { _threads = torch.get_num_threads(); torch.set_num_threads(1); }

    [ClassCleanup]
    public static void RestoreThreads() => torch.set_num_threads(_threads);

    static Vgg16Features Network()
    {
        torch.manual_seed(7);
        var net = new Vgg16Features();
        foreach (var p in net.parameters()) p.requires_grad = false;
        net.eval();
        return net;
    }

    [TestMethod]
    public void Ctor_StateDict_HasTorchvisionVgg16FeaturesKeysAndShapes()
    {
        // torchvision cfgs["D"]: conv widths with "M" = max-pool; conv i sits at features.<index>, its ReLU at index+1.
        object[] cfg = [64, 64, "M", 128, 128, "M", 256, 256, 256, "M", 512, 512, 512, "M", 512, 512, 512, "M"];
        var expected = new List<(string, long[])>();
        int index = 0;
        long inCh = 3;
        foreach (var c in cfg)
        {
            if (c is string) { index++; continue; }
            long outCh = (int)c;
            expected.Add(($"features.{index}.weight", [outCh, inCh, 3, 3]));
            expected.Add(($"features.{index}.bias", [outCh]));
            inCh = outCh;
            index += 2;
        }
        using var net = new Vgg16Features();
        var actual = net.state_dict().Select(kv => (kv.Key, kv.Value.shape)).ToList();
        CollectionAssert.AreEqual(expected.Select(e => e.Item1).ToArray(), actual.Select(a => a.Key).ToArray());
        for (int i = 0; i < expected.Count; i++) CollectionAssert.AreEqual(expected[i].Item2, actual[i].shape, expected[i].Item1);
        Assert.AreEqual("features.0.weight", actual[0].Key);
        CollectionAssert.AreEqual(new long[] { 64, 3, 3, 3 }, actual[0].shape);
        Assert.AreEqual("features.28.weight", actual[^2].Key);
        CollectionAssert.AreEqual(new long[] { 512, 512, 3, 3 }, actual[^2].shape);
        Assert.AreEqual(31, Vgg16Features.LayerNames.Count);
        Assert.AreEqual(15, Vgg16Features.IndexOf("relu3_3"));
        Assert.AreEqual(22, Vgg16Features.IndexOf("relu4_3"));
    }

    [TestMethod]
    public void LoadWeights_TorchvisionStyleFileWithClassifier_LoadsFeaturesOnly()
    {
        var path = Path.Combine(Path.GetTempPath(), $"vgg16-{Guid.NewGuid():N}.safetensors");
        try
        {
            using var source = Network();
            var sd = source.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value);
            using var classifier = torch.randn(10, 25088);
            sd["classifier.0.weight"] = classifier;   // the full torchvision file also holds the classifier
            Safetensors.SaveStateDict(path, sd);
            using var target = new Vgg16Features();
            target.LoadWeights(path);
            foreach (var (name, p) in source.state_dict()) Assert.IsTrue(p.allclose(target.state_dict()[name], 0, 0), name);

            Safetensors.SaveStateDict(path, new Dictionary<string, Tensor> { ["classifier.0.weight"] = classifier });
            var e = Assert.ThrowsExactly<CheckpointFormatException>(() => target.LoadWeights(path));
            StringAssert.Contains(e.Message, path);
            StringAssert.Contains(e.Message, "features.*");
        }
        finally { File.Delete(path); }
    }

    [TestMethod]
    public void Compute_IdenticalInputs_Zero_DifferentInputs_PositiveWithGradientToSrOnly()
    {
        using var net = Network();
        using var loss = new VggPerceptualLoss(net);
        torch.manual_seed(1);
        using var gt = torch.rand(2, 3, 32, 32).requires_grad_(true);
        using var same = loss.Compute(gt, gt.detach());
        Assert.AreEqual(0.0f, same.item<float>());
        using var sr = torch.rand(2, 3, 32, 32).requires_grad_(true);
        using var value = loss.Compute(sr, gt);
        Assert.AreEqual(0, value.dim());
        Assert.IsTrue(value.item<float>() > 0);
        value.backward();
        Assert.IsTrue(sr.grad!.abs().sum().item<float>() > 0);
        Assert.IsNull(gt.grad);
    }

    [TestMethod]
    public void Compute_WeightsAndCriteria_MatchManualSumOverSelectedLayers()
    {
        using var scope = torch.NewDisposeScope();
        using var net = Network();
        torch.manual_seed(2);
        using var sr = torch.rand(1, 3, 32, 32);
        using var gt = torch.rand(1, 3, 32, 32);
        using var mean = torch.tensor(new[] { 0.485f, 0.456f, 0.406f }).reshape(1, 3, 1, 1);
        using var std = torch.tensor(new[] { 0.229f, 0.224f, 0.225f }).reshape(1, 3, 1, 1);
        var layers = new Dictionary<string, double> { ["relu1_2"] = 0.5, ["relu3_3"] = 2.0 };
        var fs = net.Extract((sr - mean) / std, layers.Keys);
        var fg = net.Extract((gt - mean) / std, layers.Keys);
        foreach (var criterion in Enum.GetValues<PerceptualCriterion>())
        {
            double manual = 0;
            foreach (var (name, w) in layers)
            {
                var diff = fs[name] - fg[name];
                manual += w * criterion switch
                {
                    PerceptualCriterion.L1 => diff.abs().mean().item<float>(),
                    PerceptualCriterion.L2 => diff.pow(2).mean().item<float>(),
                    _ => diff.pow(2).sum().sqrt().item<float>(),
                };
            }
            using var loss = new VggPerceptualLoss(net, new() { LayerWeights = layers, Criterion = criterion, PerceptualWeight = 3 });
            using var value = loss.Compute(sr, gt);
            Assert.AreEqual(3 * manual, value.item<float>(), 1e-5 * 3 * manual, criterion.ToString());
        }
    }

    [TestMethod]
    public void Compute_LayerSelectionAndRangeNorm_ChangeOrPreserveValueAsDocumented()
    {
        using var net = Network();
        torch.manual_seed(3);
        using var sr = torch.rand(1, 3, 32, 32);
        using var gt = torch.rand(1, 3, 32, 32);
        using var shallow = new VggPerceptualLoss(net, new() { LayerWeights = new Dictionary<string, double> { ["relu1_2"] = 1 } });
        using var deep = new VggPerceptualLoss(net, new() { LayerWeights = new Dictionary<string, double> { ["relu4_3"] = 1 } });
        using var all = new VggPerceptualLoss(net);
        float a = shallow.Compute(sr, gt).item<float>(), b = deep.Compute(sr, gt).item<float>(), c = all.Compute(sr, gt).item<float>();
        Assert.AreNotEqual(a, b);
        Assert.IsTrue(c > a && c > b, $"four layers {c} vs relu1_2 {a}, relu4_3 {b}");
        // [-1,1] inputs with RangeNorm give the same loss as [0,1] inputs without.
        using var ranged = new VggPerceptualLoss(net, new() { RangeNorm = true });
        using var sr2 = sr * 2 - 1;
        using var gt2 = gt * 2 - 1;
        Assert.AreEqual(c, ranged.Compute(sr2, gt2).item<float>(), 1e-5f * c);
        using var raw = new VggPerceptualLoss(net, new() { UseInputNorm = false });
        Assert.AreNotEqual(c, raw.Compute(sr, gt).item<float>());
    }

    [TestMethod]
    public void Options_BadLayerOrWeight_ThrowsNamingIt()
    {
        using var net = Network();
        var e = Assert.ThrowsExactly<ArgumentException>(() => new VggPerceptualLoss(net, new() { LayerWeights = new Dictionary<string, double> { ["relu9_9"] = 1 } }));
        StringAssert.Contains(e.Message, "unknown VGG16 layer 'relu9_9'");
        StringAssert.Contains(e.Message, "relu4_3");
        var r = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => new VggPerceptualLoss(net, new() { LayerWeights = new Dictionary<string, double> { ["relu1_2"] = -1 } }));
        StringAssert.Contains(r.Message, "LayerWeights['relu1_2'] must be >= 0; got -1");
        Assert.ThrowsExactly<ArgumentException>(() => new VggPerceptualLoss(net, new() { LayerWeights = new Dictionary<string, double>() }));
        using var loss = new VggPerceptualLoss(net);
        using var gray = torch.zeros(1, 1, 16, 16);
        StringAssert.Contains(Assert.ThrowsExactly<ArgumentException>(() => loss.Compute(gray, gray)).Message, "(B, 3, H, W)");
        var missing = new ModelDirectory(Path.Combine(Path.GetTempPath(), "hfdiff-no-models-" + Guid.NewGuid().ToString("N")));
        StringAssert.Contains(Assert.ThrowsExactly<ModelAssetMissingException>(() => VggPerceptualLoss.FromModelDirectory(missing)).Message, "vgg16-397923af.pth");
    }

    [TestMethod]
    public void IPerceptualLoss_HighFrequencyAndVgg_AreInterchangeable()
    {
        using var vggNet = Network();
        torch.manual_seed(4);
        using var inn = new HfDiffInnFeatureExtractor(new() { Channels = 8, NumNodes = 1, StemDepth = 1, NumClasses = 2 });
        using var vgg = new VggPerceptualLoss(vggNet);
        IPerceptualLoss[] losses = [new HighFrequencyPerceptualLoss(inn, new() { Domain = HighFrequencyLossDomain.Rgb }), vgg];
        using var sr = torch.rand(1, 3, 16, 16);
        using var gt = torch.rand(1, 3, 16, 16);
        foreach (var loss in losses)
        {
            using var v = loss.Compute(sr, gt);
            Assert.IsTrue(v.item<float>() > 0, loss.GetType().Name);
        }
    }
}
