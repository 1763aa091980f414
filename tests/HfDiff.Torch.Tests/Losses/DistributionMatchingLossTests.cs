using HfDiff.Tests.Common;
using HfDiff.Torch.Archs.Dinov2;
using HfDiff.Torch.Losses;
using HfDiff.Torch.Tests.Archs.Dinov2;
using TorchSharp;
using static TorchSharp.torch;

namespace HfDiff.Torch.Tests.Losses;

[TestClass]
public class DistributionMatchingLossTests
{
    // The fixture inputs are already ImageNet-normalised and patch-aligned: pass them through unchanged.
    static readonly Dinov2PreprocessOptions Identity = new() { SizeMode = Dinov2SizeMode.None, Mean = [0, 0, 0], Std = [1, 1, 1] };

    [TestMethod]
    [TestCategory("Parity.Losses")]
    public void Compute_FixtureImages_EqualsJsOfReferenceEmbeddings()
    {
        var dir = TestPaths.Fixture("dinov2");
        var config = TestPaths.ReadConfig(dir);
        using var io = new FixtureTensors(Path.Combine(dir, "io.safetensors"));
        foreach (var m in config.GetProperty("models").EnumerateObject())
        {
            using var net = new DinoVisionTransformer(Dinov2FixtureConfig.Options(m.Value.GetProperty("constructor_kwargs")));
            net.LoadWeights(Path.Combine(dir, m.Value.GetProperty("checkpoint").GetString()!));
            net.eval();
            foreach (var c in m.Value.GetProperty("cases").EnumerateObject())
            {
                var x = io[c.Value.GetProperty("input").GetString()!];
                Assert.IsTrue(x.shape[0] >= 2, "need two images for SR vs GT");
                using var _ = torch.no_grad();
                using var sr = x.narrow(0, 0, 1);
                using var gt = x.narrow(0, 1, 1);
                foreach (var kind in Enum.GetValues<Dinov2EmbeddingKind>())
                {
                    var loss = new DistributionMatchingLoss(net, new() { Preprocess = Identity, Embedding = kind, Temperature = 0.5 });
                    using var actual = loss.Compute(sr, gt);
                    using var reference = kind == Dinov2EmbeddingKind.ClassToken
                        ? io[$"{m.Name}/{c.Name}/x_norm_clstoken"].alias()
                        : io[$"{m.Name}/{c.Name}/x_norm_patchtokens"].mean([1]);
                    using var expected = JsDivergence.BatchMean(reference.narrow(0, 0, 1), reference.narrow(0, 1, 1), temperature: 0.5);
                    double a = actual.item<float>(), e = expected.item<float>();
                    Assert.IsTrue(e > 1e-4, "the two fixture crops must differ for the test to mean anything");
                    Assert.AreEqual(e, a, 1e-4 * e + 1e-7, $"{m.Name}/{c.Name} {kind}");
                    Console.WriteLine($"{m.Name}/{c.Name} {kind}: JS {a:E6} vs reference-embedding JS {e:E6} (rel {Math.Abs(a - e) / e:E2})");
                }
            }
        }
    }

    static DinoVisionTransformer TinyRandom()
    {
        torch.manual_seed(11);
        var net = new DinoVisionTransformer(new() { ImgSize = 56, EmbedDim = 16, Depth = 1, NumHeads = 2 });
        using (torch.no_grad()) foreach (var p in net.parameters()) p.normal_(0, 0.5);
        foreach (var p in net.parameters()) p.requires_grad = false;
        return net;
    }

    [TestMethod]
    public void Compute_SrRequiresGrad_GradientReachesSrOnly()
    {
        using var net = TinyRandom();
        var loss = new DistributionMatchingLoss(net);
        using var sr = (torch.rand(2, 3, 30, 40) * 2 - 1).requires_grad_(true);
        using var gt = (torch.rand(2, 3, 30, 40) * 2 - 1).requires_grad_(true);
        using var value = loss.Compute(sr, gt);
        Assert.IsTrue(value.item<float>() > 0);
        value.backward();
        Assert.IsNotNull(sr.grad);
        Assert.IsTrue(sr.grad!.abs().sum().item<float>() > 0, "no gradient on SR");
        Assert.IsNull(gt.grad, "GT is a detached target");
    }

    [TestMethod]
    public void Compute_IdenticalImages_Zero()
    {
        using var net = TinyRandom();
        var loss = new DistributionMatchingLoss(net, new() { Embedding = Dinov2EmbeddingKind.PatchTokenMean });
        using var x = torch.rand(2, 3, 28, 28) * 2 - 1;
        using var value = loss.Compute(x, x);
        Assert.AreEqual(0.0, value.item<float>(), 1e-7);
    }

    [TestMethod]
    public void Constructor_InvalidOptions_ThrowNamingOption()
    {
        using var net = TinyRandom();
        Assert.AreEqual("Temperature", Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => new DistributionMatchingLoss(net, new() { Temperature = 0 })).ParamName);
        Assert.AreEqual("options", Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => new DistributionMatchingLoss(net, new() { Preprocess = new() { PatchSize = 16 } })).ParamName);
    }

    [TestMethod]
    public void Compute_ShapeMismatch_ThrowsNamingShapes()
    {
        using var net = TinyRandom();
        var loss = new DistributionMatchingLoss(net);
        using var a = torch.zeros(1, 3, 28, 28);
        using var b = torch.zeros(1, 3, 28, 42);
        var e = Assert.ThrowsExactly<ArgumentException>(() => loss.Compute(a, b));
        StringAssert.Contains(e.Message, "[1, 3, 28, 42]");
    }
}
