using System.IO.Compression;
using HfDiff.Torch.Archs.Clip;
using HfDiff.Torch.Tests.Metrics.ClipIqa;
using HfDiff.Torch.Weights;
using HfDiff.Torch.Weights.TorchScript;
using TorchSharp;
using static TorchSharp.torch;

namespace HfDiff.Torch.Tests.Weights.TorchScript;

[TestClass]
[TestCategory("Parity.Clipiqa")]
public class TorchScriptArchiveTests
{
    static ClipIqaFixture Fx => _fx ??= new ClipIqaFixture();
    static ClipIqaFixture? _fx;

    static void AssertSameTensors(IReadOnlyDictionary<string, Tensor> expected, IReadOnlyDictionary<string, Tensor> actual, string what)
    {
        CollectionAssert.AreEquivalent(expected.Keys.ToList(), actual.Keys.ToList(), what + ": keys");
        foreach (var (k, e) in expected)
        {
            var a = actual[k];
            Assert.AreEqual(e.dtype, a.dtype, $"{what}: {k} dtype");
            CollectionAssert.AreEqual(e.shape, a.shape, $"{what}: {k} shape");
            Assert.IsTrue(e.equal(a).all().item<bool>(), $"{what}: {k} values");
        }
    }

    [TestMethod]
    public void LoadStateDict_ClipArchive_EqualsPlainFilePlusIntScalars()
    {
        var archive = TorchScriptArchive.LoadStateDict(Fx.ArchiveWeights);
        var plain = Checkpoint.LoadStateDict(Fx.PlainWeights);
        try
        {
            var scalars = Fx.Config.GetProperty("torchscript_archive").GetProperty("top_level_buffers_int64_0d");
            foreach (var p in scalars.EnumerateObject())
            {
                Assert.AreEqual(ScalarType.Int64, archive[p.Name].dtype, p.Name);
                Assert.AreEqual(p.Value.GetInt64(), archive[p.Name].item<long>(), p.Name);
            }
            var weights = archive.Where(kv => !scalars.TryGetProperty(kv.Key, out _)).ToDictionary(kv => kv.Key, kv => kv.Value);
            AssertSameTensors(plain, weights, "archive vs plain");
        }
        finally { foreach (var t in archive.Values.Concat(plain.Values)) t.Dispose(); }
    }

    [TestMethod]
    public void LoadStateDict_ClipArchive_EqualsTorchSharpJitLoad()
    {
        var ours = TorchScriptArchive.LoadStateDict(Fx.ArchiveWeights);
        using var jit = torch.jit.load(Fx.ArchiveWeights);
        var theirs = jit.named_parameters().Select(p => (p.name, (Tensor)p.parameter)).Concat(jit.named_buffers())
                        .ToDictionary(p => p.Item1, p => p.Item2);
        try { AssertSameTensors(theirs, ours, "ours vs torch.jit.load"); }
        finally { foreach (var t in ours.Values) t.Dispose(); }
    }

    [TestMethod]
    public void LoadStateDict_ArchiveMissingDataEntry_ThrowsNamingEntry()
    {
        var path = Path.Combine(Path.GetTempPath(), $"hfdiff-jit-{Guid.NewGuid():N}.pt");
        string removed;
        using (var src = ZipFile.OpenRead(Fx.ArchiveWeights))
        using (var dst = ZipFile.Open(path, ZipArchiveMode.Create))
        {
            removed = src.Entries.Where(e => e.FullName.Contains("/data/", StringComparison.Ordinal)).OrderBy(e => e.FullName, StringComparer.Ordinal).Last().FullName;
            foreach (var e in src.Entries.Where(e => e.FullName != removed))
            {
                using var from = e.Open();
                using var to = dst.CreateEntry(e.FullName, CompressionLevel.NoCompression).Open();
                from.CopyTo(to);
            }
        }
        try
        {
            var ex = Assert.ThrowsExactly<CheckpointFormatException>(() => TorchScriptArchive.LoadStateDict(path));
            StringAssert.Contains(ex.Message, path);
            StringAssert.Contains(ex.Message, removed);
            StringAssert.Contains(ex.Message, "missing");
            var ex2 = Assert.ThrowsExactly<CheckpointFormatException>(() => ClipModel.Load(path));
            StringAssert.Contains(ex2.Message, removed);
        }
        finally { File.Delete(path); }
    }

    [TestMethod]
    public void LoadStateDict_PlainTorchSave_ThrowsNotTorchScript()
    {
        var plain = Fx.PlainWeights; // outside the lambda: a missing fixture must skip, not count as the wrong exception
        var e = Assert.ThrowsExactly<CheckpointFormatException>(() => TorchScriptArchive.LoadStateDict(plain));
        StringAssert.Contains(e.Message, "not a TorchScript archive");
    }

    [TestMethod]
    public void TorchSavedTensor_LearnedContext_LoadsFloatTensor()
    {
        using var ctx = TorchSavedTensor.Load(Fx.LearnedContext);
        int width = Fx.Config.GetProperty("reduced_clip_constructor").GetProperty("transformer_width").GetInt32();
        CollectionAssert.AreEqual(new long[] { Fx.PlusInitPrompts.Count, Fx.ContextTokens, width }, ctx.shape);
        Assert.AreEqual(ScalarType.Float32, ctx.dtype);
        Assert.IsTrue(ctx.isfinite().all().item<bool>() && ctx.abs().sum().item<float>() > 0);
    }

    [TestMethod]
    public void TorchSavedTensor_StateDictFile_ThrowsNamingFile()
    {
        var plain = Fx.PlainWeights; // outside the lambda: a missing fixture must skip, not count as the wrong exception
        var e = Assert.ThrowsExactly<CheckpointFormatException>(() => TorchSavedTensor.Load(plain));
        StringAssert.Contains(e.Message, plain);
        StringAssert.Contains(e.Message, "single tensor");
    }
}
