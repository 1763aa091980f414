using System.Text.Json;
using HfDiff.Tests.Common;
using HfDiff.Torch.Archs.HfDiff;
using HfDiff.Torch.Weights;
using TorchSharp;
using static TorchSharp.torch;

namespace HfDiff.Torch.Tests.Archs.HfDiff;

[TestClass]
public class DetailFeatureExtractionTests
{
    // README "Value ranges / tolerances": float32 1e-4 abs for outputs, 1e-4 abs for the inverse round trip.
    const double OutputTolerance = 1e-4;
    const double InverseTolerance = 1e-4;

    static string Dir => TestPaths.Fixture("inn");

    static IEnumerable<(string Name, JsonElement Model)> Models(JsonElement config) =>
        config.GetProperty("models").EnumerateObject().Select(p => (p.Name, p.Value));

    static int NumLayers(JsonElement model) => model.GetProperty("constructor_kwargs").GetProperty("num_layers").GetInt32();

    [TestMethod]
    [TestCategory("Parity.Inn")]
    public void ForwardWithIntermediates_EveryFixtureModel_MatchesReference()
    {
        var config = TestPaths.ReadConfig(Dir);
        using var io = new FixtureTensors(Path.Combine(Dir, "io.safetensors"));
        var input = io[config.GetProperty("input").GetProperty("name").GetString()!];
        CollectionAssert.AreEqual(config.GetProperty("input").GetProperty("shape").EnumerateArray().Select(e => e.GetInt64()).ToArray(), input.shape);
        int checkedModels = 0;
        foreach (var (name, model) in Models(config))
        {
            using var net = DetailFeatureCheckpoint.Load(Path.Combine(Dir, model.GetProperty("checkpoint").GetString()!), CddFuseInnSource.Plain);
            Assert.AreEqual(NumLayers(model), net.NumLayers, $"{name}: node count");
            Assert.AreEqual(model.GetProperty("num_params").GetInt64(), net.parameters().Sum(p => p.numel()), $"{name}: parameter count");
            using var _ = torch.no_grad();
            using var trace = net.ForwardWithIntermediates(input);
            double worst = TensorAssert.MaxAbs(trace.Output, io[model.GetProperty("output").GetString()!]);
            for (int i = 0; i < net.NumLayers; i++)
            {
                foreach (var (suffix, actual) in new[] { ("shffle", trace.Nodes[i].Shuffle), ("z1", trace.Nodes[i].Z1), ("z2", trace.Nodes[i].Z2) })
                {
                    var key = $"{name}/node{i}_{suffix}";
                    TensorAssert.MaxAbsBelow(actual, io[key], OutputTolerance, key);
                    worst = Math.Max(worst, TensorAssert.MaxAbs(actual, io[key]));
                }
            }
            TensorAssert.MaxAbsBelow(trace.Output, io[model.GetProperty("output").GetString()!], OutputTolerance, $"{name}/output");
            using var plain = net.forward(input);
            Assert.IsTrue(plain.allclose(trace.Output, 0, 0), $"{name}: forward and ForwardWithIntermediates differ");
            Console.WriteLine($"{name}: max |Δ| over output and intermediates = {worst:E3} (tol {OutputTolerance:E0})");
            checkedModels++;
        }
        Assert.IsTrue(checkedModels > 0, "config.json lists no models");
    }

    [TestMethod]
    [TestCategory("Parity.Inn")]
    public void Inverse_EveryFixtureModel_RoundTripsAndMatchesReferenceInverse()
    {
        var config = TestPaths.ReadConfig(Dir);
        using var io = new FixtureTensors(Path.Combine(Dir, "io.safetensors"));
        var input = io[config.GetProperty("input").GetProperty("name").GetString()!];
        foreach (var (name, model) in Models(config))
        {
            using var net = DetailFeatureCheckpoint.Load(Path.Combine(Dir, model.GetProperty("checkpoint").GetString()!), CddFuseInnSource.Plain);
            using var _ = torch.no_grad();
            // Inverse of the reference output (as the generator did) and of our own forward.
            using var fromReference = net.Inverse(io[model.GetProperty("output").GetString()!]);
            using var ours = net.forward(input);
            using var roundTrip = net.Inverse(ours);
            double errRef = TensorAssert.MaxAbs(fromReference, input), errOwn = TensorAssert.MaxAbs(roundTrip, input);
            double errVsRefInverse = TensorAssert.MaxAbs(fromReference, io[$"{name}/inverse_of_output"]);
            Console.WriteLine($"{name}: float32 round trip max |x − inv(f(x))| = {errOwn:E3}; inv(reference output) vs x {errRef:E3}, " +
                              $"vs reference inverse {errVsRefInverse:E3} (reference recorded {model.GetProperty("inverse_max_abs_err").GetDouble():E3})");
            TensorAssert.MaxAbsBelow(roundTrip, input, InverseTolerance, $"{name} round trip");
            TensorAssert.MaxAbsBelow(fromReference, input, InverseTolerance, $"{name} inverse of reference output");
            TensorAssert.MaxAbsBelow(fromReference, io[$"{name}/inverse_of_output"], InverseTolerance, $"{name}/inverse_of_output");
        }
    }

    [TestMethod]
    [TestCategory("Parity.Inn")]
    public void Inverse_Float64_RoundTripsToFloat64Precision()
    {
        var config = TestPaths.ReadConfig(Dir);
        using var io = new FixtureTensors(Path.Combine(Dir, "io.safetensors"));
        var (name, model) = Models(config).MaxBy(m => NumLayers(m.Model));
        using var net = DetailFeatureCheckpoint.Load(Path.Combine(Dir, model.GetProperty("checkpoint").GetString()!), CddFuseInnSource.Plain);
        net.to(ScalarType.Float64);
        using var _ = torch.no_grad();
        using var x = io[config.GetProperty("input").GetProperty("name").GetString()!].to_type(ScalarType.Float64);
        using var y = net.forward(x);
        using var back = net.Inverse(y);
        double err = TensorAssert.MaxAbs(back, x);
        Console.WriteLine($"{name}: float64 round trip max |Δ| = {err:E3} (reference recorded {model.GetProperty("inverse_max_abs_err_float64").GetDouble():E3})");
        // Tolerance: 100× the reference's own float64 error (different BLAS summation order).
        Assert.IsTrue(err < 100 * model.GetProperty("inverse_max_abs_err_float64").GetDouble() + 1e-13, $"float64 round trip {err:E3}");
    }

    [TestMethod]
    [TestCategory("Parity.Inn")]
    public void Load_OfficialNesting_BothEntriesMatchTheFlatModels()
    {
        var config = TestPaths.ReadConfig(Dir);
        using var io = new FixtureTensors(Path.Combine(Dir, "io.safetensors"));
        var input = io[config.GetProperty("input").GetProperty("name").GetString()!];
        var official = Path.Combine(Dir, config.GetProperty("official_nesting_file").GetProperty("file").GetString()!);
        foreach (var source in new[] { CddFuseInnSource.Auto, CddFuseInnSource.DidfEncoder, CddFuseInnSource.DetailFuseLayer })
        {
            using var net = DetailFeatureCheckpoint.Load(official, source);
            // The flat model of the same depth holds the same weights (README: encoder = L3, fuse layer = L1).
            var (name, model) = Models(config).Single(m => NumLayers(m.Model) == net.NumLayers);
            using var _ = torch.no_grad();
            using var y = net.forward(input);
            TensorAssert.MaxAbsBelow(y, io[model.GetProperty("output").GetString()!], OutputTolerance, $"{source} ({name})");
            Console.WriteLine($"{source}: {net.NumLayers} nodes, max |Δ| vs {name}/output = {TensorAssert.MaxAbs(y, io[model.GetProperty("output").GetString()!]):E3}");
        }
        using var enc = DetailFeatureCheckpoint.Load(official, CddFuseInnSource.DidfEncoder);
        using var fuse = DetailFeatureCheckpoint.Load(official, CddFuseInnSource.DetailFuseLayer);
        Assert.AreNotEqual(enc.NumLayers, fuse.NumLayers, "the two official entries hold different INNs");
    }

    [TestMethod]
    [TestCategory("Parity.Inn")]
    public void StateDict_OneNode_HasFixtureKeysAndShapes()
    {
        var config = TestPaths.ReadConfig(Dir);
        var expected = config.GetProperty("state_dict_keys_L1").EnumerateArray()
            .Select(e => (Key: e[0].GetString()!, Shape: e[1].EnumerateArray().Select(s => s.GetInt64()).ToArray())).ToList();
        using var net = new DetailFeatureExtraction(numLayers: 1);
        var sd = net.state_dict();
        CollectionAssert.AreEqual(expected.Select(e => e.Key).ToList(), sd.Keys.ToList(), "keys and order");
        foreach (var (key, shape) in expected) CollectionAssert.AreEqual(shape, sd[key].shape, key);
    }

    [TestMethod]
    public void Forward_WrongChannelCount_ThrowsNamingShape()
    {
        using var net = new DetailFeatureExtraction(2);
        using var x = torch.zeros(1, 32, 4, 4);
        var e = Assert.ThrowsExactly<ArgumentException>(() => net.forward(x));
        StringAssert.Contains(e.Message, "(B, 64, H, W)");
    }

    [TestMethod]
    public void Constructor_BadArguments_ThrowNamingParameter()
    {
        Assert.AreEqual("numLayers", Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => new DetailFeatureExtraction(0)).ParamName);
        Assert.AreEqual("channels", Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => new DetailFeatureExtraction(1, 63)).ParamName);
    }

    [TestMethod]
    public void Inverse_RandomWeights16Channels_RoundTrips()
    {
        torch.manual_seed(7);
        using var net = new DetailFeatureExtraction(numLayers: 2, channels: 16);
        using var _ = torch.no_grad();
        using var x = torch.randn(2, 16, 5, 7);
        using var y = net.forward(x);
        using var back = net.Inverse(y);
        TensorAssert.MaxAbsBelow(back, x, 1e-4, "random 16-channel INN");
        Assert.IsTrue(TensorAssert.MaxAbs(y, x) > 1e-2, "forward must change the input for the test to mean anything");
    }

    [TestMethod]
    public void Inverse_SingularShuffleMatrix_ThrowsInvalidOperation()
    {
        using var net = new DetailFeatureExtraction(numLayers: 1, channels: 4);
        using (torch.no_grad())
            foreach (var (key, p) in net.named_parameters()) if (key.EndsWith("shffleconv.weight")) p.zero_();
        using var y = torch.randn(1, 4, 3, 3);
        var e = Assert.ThrowsExactly<InvalidOperationException>(() => { using var _ = net.Inverse(y); });
        StringAssert.Contains(e.Message, "not invertible");
    }

    [TestMethod]
    public void Load_NotACheckpoint_ThrowsNamingFile()
    {
        var path = Path.Combine(Path.GetTempPath(), $"hfdiff-inn-{Guid.NewGuid():N}.pth");
        File.WriteAllText(path, "junk");
        try
        {
            var e = Assert.ThrowsExactly<CheckpointFormatException>(() => DetailFeatureCheckpoint.Load(path));
            StringAssert.Contains(e.Message, path);
        }
        finally { File.Delete(path); }
    }
}
