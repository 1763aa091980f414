using HfDiff.Tests.Common;
using HfDiff.Torch.Weights;
using HfDiff.Torch.Weights.LegacyPickle;
using static TorchSharp.torch;

namespace HfDiff.Torch.Tests.Weights;

[TestClass]
public class LegacyTorchCheckpointTests
{
    static string Temp(string name) => Path.Combine(Path.GetTempPath(), $"hfdiff-legacy-{Guid.NewGuid():N}-{name}");

    static readonly float[] Storage = [10, 11, 12, 13, 14, 15, 16];

    /// <summary>{'w': storage[1:5] viewed as (2,2) with stride (1,2) (a transposed view), 'b': storage as (7)}, BUILD with _metadata.</summary>
    static byte[] ValidFile()
    {
        var b = new LegacyPickleBuilder().Header();
        b.Raw(0x80, 2).Global("collections", "OrderedDict").Op(']').Op('(');
        b.Str("w").FloatTensor("140", Storage, 1, [2, 2], [1, 2]).Raw(0x86);
        b.Str("b").FloatTensor("140", Storage, 0, [7], [1]).Raw(0x86);
        b.Op('e').Raw(0x85).Op('R');
        b.Op('}').Str("_metadata").Op('}').Op('s').Op('b').Op('.');
        return b.Finish();
    }

    static string Write(byte[] bytes, string name)
    {
        var path = Temp(name);
        File.WriteAllBytes(path, bytes);
        return path;
    }

    [TestMethod]
    public void LoadStateDict_LegacyFile_RebuildsStridedViewsWithOffset()
    {
        var path = Write(ValidFile(), "ok.pth");
        try
        {
            Assert.AreEqual(CheckpointFormat.PyTorchLegacyPickle, Checkpoint.DetectFormat(path));
            var sd = Checkpoint.LoadStateDict(path);
            CollectionAssert.AreEquivalent(new[] { "w", "b" }, sd.Keys.ToArray());
            // as_strided((2,2), (1,2), 1) over [10..16]: [[11,13],[12,14]].
            using var w = sd["w"];
            using var b = sd["b"];
            CollectionAssert.AreEqual(new long[] { 2, 2 }, w.shape);
            CollectionAssert.AreEqual(new float[] { 11, 13, 12, 14 }, w.contiguous().data<float>().ToArray());
            CollectionAssert.AreEqual(Storage, b.data<float>().ToArray());
            Assert.AreEqual(ScalarType.Float32, w.dtype);
        }
        finally { File.Delete(path); }
    }

    [TestMethod]
    public void LoadStateDict_DisallowedGlobal_ThrowsNamingFileAndClass()
    {
        var b = new LegacyPickleBuilder().Header();
        b.Raw(0x80, 2).Global("os", "system").Str("echo never-run").Raw(0x85).Op('R').Op('.');
        var path = Write(b.Finish(), "evil.pth");
        try
        {
            var e = Assert.ThrowsExactly<CheckpointFormatException>(() => Checkpoint.LoadStateDict(path));
            StringAssert.Contains(e.Message, path);
            StringAssert.Contains(e.Message, "'os.system'");
        }
        finally { File.Delete(path); }
    }

    [TestMethod]
    public void Read_ModuleClassGlobal_ThrowsNamingClass()
    {
        // A torch global that is not on the list (e.g. a module class) is refused too.
        var b = new LegacyPickleBuilder().Header();
        b.Raw(0x80, 2).Op('}').Str("m").Global("torch.nn.modules.linear", "Linear").Op(')').Op('R').Op('s').Op('.');
        var path = Write(b.Finish(), "module.pth");
        try
        {
            var e = Assert.ThrowsExactly<CheckpointFormatException>(() => LegacyTorchCheckpoint.Read(path));
            StringAssert.Contains(e.Message, path);
            StringAssert.Contains(e.Message, "torch.nn.modules.linear.Linear");
        }
        finally { File.Delete(path); }
    }

    [TestMethod]
    public void LoadStateDict_TruncatedFile_ThrowsNamingFile()
    {
        var full = ValidFile();
        // Cut inside the object pickle, inside the key list and inside the storage bytes.
        foreach (int length in new[] { full.Length / 3, full.Length - 40, full.Length - 3 })
        {
            var path = Write(full[..length], $"cut{length}.pth");
            try
            {
                var e = Assert.ThrowsExactly<CheckpointFormatException>(() => Checkpoint.LoadStateDict(path));
                StringAssert.Contains(e.Message, path);
                StringAssert.Contains(e.Message, "truncated");
            }
            finally { File.Delete(path); }
        }
    }

    [TestMethod]
    public void Read_WrongMagicNumber_ThrowsNotLegacy()
    {
        var bytes = ValidFile();
        bytes[5] ^= 0xff; // inside the LONG1 magic number
        var path = Write(bytes, "magic.pth");
        try
        {
            var e = Assert.ThrowsExactly<CheckpointFormatException>(() => LegacyTorchCheckpoint.Read(path));
            StringAssert.Contains(e.Message, path);
            StringAssert.Contains(e.Message, "magic number");
        }
        finally { File.Delete(path); }
    }

    [TestMethod]
    [TestCategory("Parity.Lpips")]
    public void LoadStateDict_OfficialLpipsLinearFiles_ReadsLinShapesFromConfig()
    {
        var dir = TestPaths.Fixture("iqa");
        var nets = TestPaths.ReadConfig(dir).GetProperty("lpips").GetProperty("nets");
        foreach (var net in nets.EnumerateObject())
        {
            var file = net.Value.GetProperty("lin_weights").GetString()!.Split(' ')[0];
            var path = Path.Combine(dir, file);
            Assert.AreEqual(CheckpointFormat.PyTorchLegacyPickle, Checkpoint.DetectFormat(path), file);
            var chns = net.Value.GetProperty("chns").EnumerateArray().Select(c => c.GetInt64()).ToArray();
            var sd = Checkpoint.LoadStateDict(path);
            try
            {
                Assert.AreEqual(chns.Length, sd.Count, file);
                for (int k = 0; k < chns.Length; k++)
                {
                    var t = sd[$"lin{k}.model.1.weight"];
                    CollectionAssert.AreEqual(new long[] { 1, chns[k], 1, 1 }, t.shape, $"{file} lin{k}");
                    Assert.IsTrue(t.abs().sum().item<float>() > 0, $"{file} lin{k} is all zeros");
                }
            }
            finally { foreach (var t in sd.Values) t.Dispose(); }
        }
    }
}
