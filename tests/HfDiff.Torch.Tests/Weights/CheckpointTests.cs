using HfDiff.Tests.Common;
using HfDiff.Torch.Weights;
using TorchSharp;
using static TorchSharp.torch;

namespace HfDiff.Torch.Tests.Weights;

[TestClass]
public class CheckpointTests
{
    sealed class Tiny : nn.Module
    {
#pragma warning disable IDE1006 // PyTorch attribute names
        readonly TorchSharp.Modules.Linear fc;
#pragma warning restore IDE1006
        public Tiny() : base("Tiny") { fc = nn.Linear(3, 2); RegisterComponents(); }
    }

    static string Temp(string name) => Path.Combine(Path.GetTempPath(), $"hfdiff-ckpt-{Guid.NewGuid():N}-{name}");

    [TestMethod]
    public void LoadStateDict_NotACheckpoint_ThrowsNamingFile()
    {
        var path = Temp("junk.pth");
        File.WriteAllText(path, "this is not a checkpoint");
        var e = Assert.ThrowsExactly<CheckpointFormatException>(() => Checkpoint.LoadStateDict(path));
        StringAssert.Contains(e.Message, path);
        File.Delete(path);
    }

    [TestMethod]
    public void LoadStateDict_TruncatedZip_ThrowsNamingFile()
    {
        var src = Temp("full.safetensors");
        using (var m = new Tiny()) TorchSharp.PyBridge.PyBridgeModuleExtensions.save_py(m, src);
        var bytes = File.ReadAllBytes(src);
        var path = Temp("cut.pth");
        File.WriteAllBytes(path, bytes[..(bytes.Length / 2)]);
        var e = Assert.ThrowsExactly<CheckpointFormatException>(() => Checkpoint.LoadStateDict(path));
        StringAssert.Contains(e.Message, path);
        File.Delete(src); File.Delete(path);
    }

    [TestMethod]
    public void LoadInto_RoundTripsSafetensorsAndPth_WithModulePrefix()
    {
        using var a = new Tiny();
        var st = Temp("w.safetensors");
        TorchSharp.PyBridge.PyBridgeModuleExtensions.save_safetensors(a, st);
        using var b = new Tiny();
        Checkpoint.LoadInto(b, st);
        foreach (var (k, v) in a.state_dict()) Assert.IsTrue(v.allclose(b.state_dict()[k], 0, 0), k);

        var prefixed = a.state_dict().ToDictionary(kv => "module." + kv.Key, kv => kv.Value);
        using var c = new Tiny();
        Checkpoint.LoadInto(c, prefixed);
        foreach (var (k, v) in a.state_dict()) Assert.IsTrue(v.allclose(c.state_dict()[k], 0, 0), k);
        File.Delete(st);
    }

    [TestMethod]
    public void LoadInto_Mismatch_ListsMissingUnexpectedAndShapes()
    {
        using var m = new Tiny();
        var sd = new Dictionary<string, Tensor> { ["fc.weight"] = zeros(5, 3), ["extra.bias"] = zeros(1) };
        var e = Assert.ThrowsExactly<CheckpointFormatException>(() => Checkpoint.LoadInto(m, sd));
        StringAssert.Contains(e.Message, "missing keys (1): fc.bias");
        StringAssert.Contains(e.Message, "unexpected keys (1): extra.bias");
        StringAssert.Contains(e.Message, "fc.weight: checkpoint [5,3] vs model [2,3]");
    }

    [TestMethod]
    [TestCategory("Parity.ResShift")]
    public void LoadStateDict_FixturePth_ReadsEveryTensorOfManifestShape()
    {
        var dir = TestPaths.Fixture("resshift");
        var sd = Checkpoint.LoadStateDict(Path.Combine(dir, "autoencoder_vq_f4.pth"));
        Assert.IsTrue(sd.Count > 0);
        Assert.IsTrue(sd.Keys.Any(k => k.StartsWith("encoder.", StringComparison.Ordinal)));
        foreach (var t in sd.Values) t.Dispose();
    }
}
