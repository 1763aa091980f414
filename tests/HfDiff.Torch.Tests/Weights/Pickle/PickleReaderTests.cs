using System.Text;
using HfDiff.Tests.Common;
using HfDiff.Torch.Weights;
using HfDiff.Torch.Weights.LegacyPickle;
using HfDiff.Torch.Weights.Pickle;

namespace HfDiff.Torch.Tests.Weights.Pickle;

/// <summary>
/// The one pickle reader under its two policies: the same pickle is refused for torch.save files and kept as inert data
/// for TorchScript archives, and the legacy format, which now reads every opcode the zip format does, still refuses code.
/// </summary>
[TestClass]
public class PickleReaderTests
{
    static PickleReader Reader(byte[] pickle, UnlistedGlobals unlisted) =>
        new(new MemoryStream(pickle), "'test.pkl'", unlisted)
        {
            PersistentLoad = _ => throw new AssertFailedException("no persistent ids here"),
            RebuildTensor = _ => throw new AssertFailedException("no tensors here"),
        };

    // __main__.Evil('x') with STACK_GLOBAL and NEWOBJ (protocol 4), then BUILD {'a': 1}.
    static byte[] EvilObject() => new LegacyPickleBuilder().Raw(0x80, 4)
        .Raw(0x8c, 8).Raw(Encoding.ASCII.GetBytes("__main__")).Raw(0x8c, 4).Raw(Encoding.ASCII.GetBytes("Evil")).Raw(0x93)
        .Str("x").Raw(0x85).Raw(0x81)
        .Op('}').Str("a").Int(1).Op('s').Op('b').Op('.').Bytes();

    [TestMethod]
    public void Load_UnlistedGlobal_RefusedNamingSourceAndGlobal()
    {
        var e = Assert.ThrowsExactly<CheckpointFormatException>(() => Reader(EvilObject(), UnlistedGlobals.Refuse).Load());
        StringAssert.Contains(e.Message, "'test.pkl'");
        StringAssert.Contains(e.Message, "refuses to load the class or function '__main__.Evil'");
    }

    [TestMethod]
    public void Load_UnlistedGlobalKeptAsData_IsAnInertObjectWithItsState()
    {
        var o = Reader(EvilObject(), UnlistedGlobals.KeepAsData).Load() as PickleObject;
        Assert.IsNotNull(o);
        Assert.AreEqual(new PickleGlobal("__main__", "Evil"), o.Type);
        CollectionAssert.AreEqual(new object?[] { "x" }, o.Args);
        Assert.IsTrue(o.State is PickleDict s && s.TryGet("a", out var a) && a is 1L);
    }

    [TestMethod]
    public void Load_OrderedDictWithMetadata_KeepsItemsInOrderAndDropsTheAttribute()
    {
        // OrderedDict([('b', None), (None, 2)]) BUILD {'_metadata': {}}: None is a key; _metadata is an attribute.
        var pickle = new LegacyPickleBuilder().Raw(0x80, 2).Global("collections", "OrderedDict")
            .Op('(').Op('(').Str("b").Op('N').Op('t').Op('(').Op('N').Int(2).Op('t').Op('l').Raw(0x85).Op('R')
            .Op('}').Str("_metadata").Op('}').Op('s').Op('b').Op('.').Bytes();
        var d = Reader(pickle, UnlistedGlobals.Refuse).Load() as PickleDict;
        Assert.IsNotNull(d);
        CollectionAssert.AreEqual(new object?[] { "b", null }, d.Items.Select(kv => kv.Key).ToArray());
        Assert.IsTrue(d.TryGet(null, out var two) && two is 2L);
    }

    [TestMethod]
    public void Load_PopBelowMark_Malformed()
    {
        var pickle = new LegacyPickleBuilder().Raw(0x80, 2).Int(1).Op('(').Op('0').Op('.').Bytes();
        var e = Assert.ThrowsExactly<CheckpointFormatException>(() => Reader(pickle, UnlistedGlobals.KeepAsData).Load());
        StringAssert.Contains(e.Message, "stack underflow");
    }

    [TestMethod]
    public void LegacyRead_StackGlobalAndNewObj_StillRefused()
    {
        var b = new LegacyPickleBuilder().Header();
        b.Raw(EvilObject());
        var path = Path.Combine(Path.GetTempPath(), $"hfdiff-pickle-{Guid.NewGuid():N}-evil.pth");
        File.WriteAllBytes(path, b.Finish());
        try
        {
            var e = Assert.ThrowsExactly<CheckpointFormatException>(() => LegacyTorchCheckpoint.Read(path));
            StringAssert.Contains(e.Message, path);
            StringAssert.Contains(e.Message, "refuses to load the class or function '__main__.Evil'");
        }
        finally { File.Delete(path); }
    }
}
