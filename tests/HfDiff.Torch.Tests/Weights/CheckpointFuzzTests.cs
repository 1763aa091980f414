using System.Text;
using HfDiff.Tests.Common;
using HfDiff.Torch.Weights;
using TorchSharp;
using TorchSharp.PyBridge;
using static HfDiff.Tests.Common.CraftedCheckpoints;
using static TorchSharp.torch;

namespace HfDiff.Torch.Tests.Weights;

/// <summary>
/// Crafted checkpoints (generated here, opcode by opcode) that used to crash the process, exhaust memory or load
/// silently wrong numbers: each must be refused with one line naming the file and the problem, and valid files must
/// still load bit-identically. Cases that could take down the test host if they regressed (pickles nested a million
/// levels deep) run through the CLI in a child process: see HfDiff.Cli.Tests/CheckpointFuzzCliTests.
/// </summary>
[TestClass]
public class CheckpointFuzzTests
{
    static string Temp(string name) => Path.Combine(Path.GetTempPath(), $"hfdiff-fuzz-{Guid.NewGuid():N}-{name}");

    static string Write(byte[] bytes, string name)
    {
        var path = Temp(name);
        File.WriteAllBytes(path, bytes);
        return path;
    }

    /// <summary>Loading must throw <see cref="CheckpointFormatException"/> whose single line names the file and contains every fragment.</summary>
    static string AssertRefused(byte[] bytes, string name, params string[] fragments)
    {
        var path = Write(bytes, name);
        try
        {
            var e = Assert.ThrowsExactly<CheckpointFormatException>(() => Checkpoint.LoadStateDict(path), name);
            StringAssert.Contains(e.Message, path, name);
            foreach (var f in fragments) StringAssert.Contains(e.Message, f, name);
            Assert.DoesNotContain("\n", e.Message, name);
            return e.Message;
        }
        finally { File.Delete(path); }
    }

    // ---- state-dict keys ----

    [TestMethod]
    public void LoadStateDict_ZipKeysIntTupleOrBytes_ThrowsNamingKey()
    {
        AssertRefused(ZipDict(b => ZipTensor(b.Int(5), "0", 4, 0, [4], [1]), ("0", FourFloats)), "int-key.pth", "5 (int64)", "not a parameter name");
        AssertRefused(ZipDict(b => ZipTensor(b.Tuple(1, 2), "0", 4, 0, [4], [1]), ("0", FourFloats)), "tuple-key.pth", "a tuple of 2");
        AssertRefused(ZipDict(b => ZipTensor(b.Raw((byte)'C', 2, 0x61, 0x62), "0", 4, 0, [4], [1]), ("0", FourFloats)), "bytes-key.pth", "bytes of length 2");
    }

    [TestMethod]
    public void LoadStateDict_LegacyKeysIntTupleOrBytes_ThrowsNamingKey()
    {
        var data = ("0", FourFloats, 4L);
        AssertRefused(LegacyDict(b => LegacyTensor(b.Int(7), "0", 4, 0, [4], [1]), data), "int-key.pth", "7 (int64)", "not a parameter name");
        AssertRefused(LegacyDict(b => LegacyTensor(b.Tuple(1, 2, 3), "0", 4, 0, [4], [1]), data), "tuple-key.pth", "a tuple of 3");
        AssertRefused(LegacyDict(b => LegacyTensor(b.Raw((byte)'C', 1, 0x61), "0", 4, 0, [4], [1]), data), "bytes-key.pth", "bytes of length 1");
    }

    [TestMethod]
    public void LoadStateDict_NonStringKeysWithoutTensors_AreSkipped()
    {
        // Optimiser-style int keys holding numbers are not weights and do not stop the load.
        var path = Write(ZipDict(b =>
        {
            b.Int(0).Int(1);
            ZipTensor(b.Str("w"), "0", 4, 0, [4], [1]);
        }, ("0", FourFloats)), "mixed.pth");
        try
        {
            var sd = Checkpoint.LoadStateDict(path);
            CollectionAssert.AreEqual(new[] { "w" }, sd.Keys.ToArray());
            foreach (var t in sd.Values) t.Dispose();
        }
        finally { File.Delete(path); }
    }

    // ---- sizes, offsets, strides and extents ----

    [TestMethod]
    public void LoadStateDict_LegacyAbsurdStorageSizes_RefusedBeforeAllocation()
    {
        var data = ("0", FourFloats, 4L);
        AssertRefused(LegacyDict(b => LegacyTensor(b.Str("w"), "0", 1L << 60, 0, [4], [1]), data), "huge-storage.pth", "declares 1152921504606846976 elements", "more than the file's");
        AssertRefused(LegacyDict(b => LegacyTensor(b.Str("w"), "0", long.MaxValue, 0, [4], [1]), data), "max-storage.pth", "more than the file's");
        AssertRefused(LegacyDict(b => LegacyTensor(b.Str("w"), "0", -4, 0, [4], [1]), data), "negative-storage.pth", "negative size");
        // The on-disk element count disagrees with the pickle.
        AssertRefused(LegacyDict(b => LegacyTensor(b.Str("w"), "0", 4, 0, [4], [1]), ("0", FourFloats, 1L << 40)), "count.pth", "on disk");
    }

    [TestMethod]
    public void LoadStateDict_LegacyAbsurdOffsetsStridesAndExtents_Refused()
    {
        var data = ("0", FourFloats, 4L);
        AssertRefused(LegacyDict(b => LegacyTensor(b.Str("w"), "0", 4, 1L << 62, [4], [1]), data), "offset.pth", "reaches element");
        AssertRefused(LegacyDict(b => LegacyTensor(b.Str("w"), "0", 4, 0, [1L << 40, 1L << 40], [1L << 40, 1]), data), "extent.pth", "overflows 64-bit sizes");
        AssertRefused(LegacyDict(b => LegacyTensor(b.Str("w"), "0", 4, 0, [3, 3], [1, 1]), data), "reach.pth", "reaches element 5");
        AssertRefused(LegacyDict(b => LegacyTensor(b.Str("w"), "0", 4, 0, [4], [-1]), data), "stride.pth", "negative");
        AssertRefused(LegacyDict(b => LegacyTensor(b.Str("w"), "0", 4, 0, [4, 1], [1]), data), "rank.pth", "1 strides");
        AssertRefused(LegacyDict(b => LegacyTensor(b.Str("w"), "0", 4, 0, [1L << 40], [0]), data), "repeat.pth", "repeats");
        AssertRefused(LegacyDict(b => LegacyTensor(b.Str("w"), "0", 4, 0, [1], [1], (long.MaxValue, 2)), data), "view.pth", "exceeds its 4 elements");
    }

    [TestMethod]
    public void LoadStateDict_ZipAbsurdStorageSizesAndExtents_Refused()
    {
        AssertRefused(ZipDict(b => ZipTensor(b.Str("w"), "0", 1L << 60, 0, [4], [1]), ("0", FourFloats)), "numel.pth", "more than 2 GB");
        AssertRefused(ZipDict(b => ZipTensor(b.Str("w"), "0", -4, 0, [0], [1]), ("0", FourFloats)), "negative.pth", "negative");
        AssertRefused(ZipDict(b => ZipTensor(b.Str("w"), "0", 400, 0, [4], [1]), ("0", FourFloats)), "short.pth", "has 16 bytes", "need 1600");
        AssertRefused(ZipDict(b => ZipTensor(b.Str("w"), "0", 4, 0, [1L << 40, 1L << 40], [1L << 40, 1]), ("0", FourFloats)), "extent.pth", "overflows 64-bit sizes");
        AssertRefused(ZipDict(b => ZipTensor(b.Str("w"), "0", 4, 3, [2], [1]), ("0", FourFloats)), "offset.pth", "reaches element 5");
        AssertRefused(ZipDict(b => ZipTensor(b.Str("w"), "1", 4, 0, [4], [1]), ("0", FourFloats)), "missing.pth", "missing from the archive");
    }

    [TestMethod]
    public void LoadStateDict_ZipEntryClaimsHugeSize_RefusedBeforeAllocation()
    {
        var bytes = ValidZip();
        // Central directory record of archive/data.pkl: uncompressed size at +24.
        int cd = IndexOf(bytes, [0x50, 0x4b, 0x01, 0x02], 0);
        Assert.IsTrue(cd > 0);
        BitConverter.GetBytes(0xFFFFFFF0u).CopyTo(bytes, cd + 24);
        AssertRefused(bytes, "claims.pth", "data.pkl", "claims 4294967280 bytes");
    }

    // ---- damaged files: CRC-32 ----

    [TestMethod]
    public void LoadStateDict_FlippedStorageByte_FailsCrc()
    {
        var bytes = ValidZip();
        int at = IndexOf(bytes, FourFloats, 0);
        Assert.IsTrue(at > 0);
        bytes[at + 5] ^= 0x01;   // inside the float 2.0: a different value, same size
        AssertRefused(bytes, "flipped.pth", "archive/data/0", "CRC-32");
    }

    [TestMethod]
    public void LoadStateDict_EverySingleBitFlip_RefusedOrIdentical()
    {
        var valid = ValidZip();
        var path = Write(valid, "base.pth");
        float[] expected;
        var first = Checkpoint.LoadStateDict(path);
        using (var w = first["w"]) expected = w.contiguous().data<float>().ToArray();
        int refused = 0, identical = 0;
        for (int i = 0; i < valid.Length; i++)
        {
            var bytes = (byte[])valid.Clone();
            bytes[i] ^= 0x04;
            File.WriteAllBytes(path, bytes);
            try
            {
                var sd = Checkpoint.LoadStateDict(path);
                try
                {
                    // Flips in fields nobody reads (timestamps, version entry) may load, but never with other numbers.
                    Assert.IsTrue(sd.TryGetValue("w", out var w), $"byte {i}: key 'w' lost without an error");
                    CollectionAssert.AreEqual(expected, w!.contiguous().data<float>().ToArray(), $"byte {i}: different numbers loaded silently");
                    identical++;
                }
                finally { foreach (var t in sd.Values) t.Dispose(); }
            }
            catch (CheckpointFormatException e)
            {
                StringAssert.Contains(e.Message, path);
                refused++;
            }
        }
        File.Delete(path);
        Assert.IsTrue(refused > 0 && identical > 0, $"{refused} refused, {identical} identical");
    }

    // ---- valid files load bit-identically ----

    sealed class Small : nn.Module
    {
#pragma warning disable IDE1006 // PyTorch attribute names
        readonly TorchSharp.Modules.Linear fc;
        readonly TorchSharp.Modules.Conv2d conv;
#pragma warning restore IDE1006
        public Small() : base("Small") { fc = nn.Linear(5, 3); conv = nn.Conv2d(2, 4, 3); RegisterComponents(); }
    }

    static void AssertBitIdentical(IReadOnlyDictionary<string, Tensor> expected, IReadOnlyDictionary<string, Tensor> actual, string what)
    {
        CollectionAssert.AreEquivalent(expected.Keys.ToList(), actual.Keys.ToList(), what + ": keys");
        foreach (var (k, e) in expected)
        {
            var a = actual[k];
            Assert.AreEqual(e.dtype, a.dtype, $"{what}: {k} dtype");
            CollectionAssert.AreEqual(e.shape, a.shape, $"{what}: {k} shape");
            CollectionAssert.AreEqual(e.contiguous().bytes.ToArray(), a.contiguous().bytes.ToArray(), $"{what}: {k} bytes");
        }
    }

    [TestMethod]
    public void LoadStateDict_SavedModule_BitIdenticalToModuleAndPyBridge()
    {
        using var m = new Small();
        var path = Temp("small.pth");
        m.save_py(path);
        try
        {
            var ours = Checkpoint.LoadStateDict(path);
            var pyBridge = PyTorchUnpickler.UnpickleStateDict(path).Cast<System.Collections.DictionaryEntry>()
                .ToDictionary(e => (string)e.Key, e => (Tensor)e.Value!);
            AssertBitIdentical(m.state_dict(), ours, "module");
            AssertBitIdentical(pyBridge, ours, "PyBridge");
            using var again = new Small();
            Checkpoint.LoadInto(again, path);
            AssertBitIdentical(m.state_dict(), again.state_dict(), "LoadInto");
        }
        finally { File.Delete(path); }
    }

    [TestMethod]
    public void LoadStateDict_CraftedStridedView_ReadsTransposedValues()
    {
        var path = Write(ZipDict(b => ZipTensor(b.Str("w"), "0", 4, 0, [2, 2], [1, 2]), ("0", FourFloats)), "t.pth");
        try
        {
            var sd = Checkpoint.LoadStateDict(path);
            using var w = sd["w"];
            CollectionAssert.AreEqual(new float[] { 1, 3, 2, 4 }, w.contiguous().data<float>().ToArray());
        }
        finally { File.Delete(path); }
    }

    [TestMethod]
    [TestCategory("Parity.ResShift")]
    public void LoadStateDict_FixtureCheckpoints_BitIdenticalToPyBridge()
    {
        var files = new[] { "resshift", "dinov2", "inn", "trainer", "iqa" }.Select(TestPaths.Fixture)
            .SelectMany(d => Directory.GetFiles(d, "*.pt*", SearchOption.AllDirectories))
            .Where(f => Checkpoint.DetectFormat(f) == CheckpointFormat.PyTorchZip).ToList();
        Assert.IsTrue(files.Count > 0, "no fixture checkpoints");
        foreach (var file in files)
        {
            System.Collections.Hashtable table;
            try { table = PyTorchUnpickler.UnpickleStateDict(file); }
            catch (InvalidCastException)
            {
                // A single saved tensor (CLIP-IQA+'s prompts): not a state dict for either reader.
                StringAssert.Contains(Assert.ThrowsExactly<CheckpointFormatException>(() => Checkpoint.LoadStateDict(file)).Message, "a single tensor");
                continue;
            }
            // Same nesting rule as the reader: unwrap the first nesting key that holds a dict.
            foreach (var key in Checkpoint.NestingKeys)
                if (table[key] is System.Collections.Hashtable inner) { table = inner; break; }
            var pyBridge = table.Cast<System.Collections.DictionaryEntry>().Where(e => e.Value is Tensor)
                .ToDictionary(e => (string)e.Key, e => (Tensor)e.Value!);
            if (pyBridge.Count == 0)
            {
                // Nested under a key of its own (e.g. CDDFuse's): both readers find no top-level tensors.
                Assert.ThrowsExactly<CheckpointFormatException>(() => Checkpoint.LoadStateDict(file), Path.GetFileName(file));
                continue;
            }
            var ours = Checkpoint.LoadStateDict(file);
            AssertBitIdentical(pyBridge, ours, Path.GetFileName(file));
            foreach (var t in ours.Values) t.Dispose();
        }
    }

    // ---- code in pickles stays refused ----

    [TestMethod]
    public void LoadStateDict_ZipPickleCallingCode_Refused()
    {
        var osSystem = new LegacyPickleBuilder().Raw(0x80, 2).Global("os", "system").Str("echo never-run").Raw(0x85).Op('R').Op('.');
        AssertRefused(Zip(osSystem.Bytes()), "os-system.pth", "refuses to load the class or function 'os.system'");
        var eval = new LegacyPickleBuilder().Raw(0x80, 2).Op('}').Str("w").Global("builtins", "eval").Str("1+1").Raw(0x85).Op('R').Op('s').Op('.');
        AssertRefused(Zip(eval.Bytes()), "eval.pth", "'builtins.eval'");
        // Protocol 4 STACK_GLOBAL: module and name as strings, then 0x93.
        var stack = new LegacyPickleBuilder().Raw(0x80, 4).Raw(0x8c, 5).Raw(Encoding.ASCII.GetBytes("posix")).Raw(0x8c, 6).Raw(Encoding.ASCII.GetBytes("system"))
            .Raw(0x93).Str("id").Raw(0x85).Op('R').Op('.');
        AssertRefused(Zip(stack.Bytes()), "stack-global.pth", "'posix.system'");
        // NEWOBJ of an arbitrary class.
        var newobj = new LegacyPickleBuilder().Raw(0x80, 2).Global("__main__", "Evil").Op(')').Raw(0x81).Op('.');
        AssertRefused(Zip(newobj.Bytes()), "newobj.pth", "'__main__.Evil'");
    }

    // ---- malformed numbers, files that are not files ----

    [TestMethod]
    public void LoadStateDict_MalformedPickleNumbers_OneLineErrors()
    {
        var zipInt = new LegacyPickleBuilder().Raw(0x80, 2).Op('}').Str("w").Op('I').Raw(Encoding.ASCII.GetBytes("99999999999999999999999\n")).Op('s').Op('.');
        AssertRefused(Zip(zipInt.Bytes()), "zip-int.pth", "malformed pickle");
        AssertRefused(LegacyDict(b => b.Str("w").Op('F').Raw(Encoding.ASCII.GetBytes("not-a-float\n"))), "legacy-float.pth", "malformed legacy PyTorch checkpoint");
    }

    [TestMethod]
    public void LoadStateDict_SafetensorsHeaderLies_Refused()
    {
        static byte[] Safetensors(string json, int dataBytes)
        {
            var header = Encoding.UTF8.GetBytes(json);
            return [.. BitConverter.GetBytes((ulong)header.Length), .. header, .. new byte[dataBytes]];
        }
        AssertRefused(Safetensors("""{"w":{"dtype":"F32","shape":[1099511627776,1099511627776],"data_offsets":[0,16]}}""", 16), "shape.safetensors", "does not fit its 16 bytes");
        AssertRefused(Safetensors("""{"w":{"dtype":"F32","shape":[4],"data_offsets":[0,1600]}}""", 16), "range.safetensors", "outside the 16 data bytes");
        AssertRefused(Safetensors("""{"w":{"dtype":"F32","shape":[-4],"data_offsets":[0,16]}}""", 16), "negative.safetensors", "invalid dimension -4");
    }

    [TestMethod]
    public void LoadStateDict_DeviceOrFifo_RefusedWithoutReading()
    {
        if (!OperatingSystem.IsLinux()) Assert.Inconclusive("Skipped: /dev/zero and mkfifo are Linux here.");
        var fifo = Temp("fifo.pth");
        using (var mk = System.Diagnostics.Process.Start("mkfifo", [fifo])) mk.WaitForExit();
        try
        {
            foreach (var path in new[] { "/dev/zero", fifo })
            {
                // A regression would block on the FIFO or read /dev/zero forever: fail instead of hanging.
                var load = Task.Run(() => Assert.ThrowsExactly<CheckpointFormatException>(() => Checkpoint.LoadStateDict(path)));
                Assert.IsTrue(load.Wait(TimeSpan.FromSeconds(60)), $"{path}: still reading");
                StringAssert.Contains(load.Result.Message, path);
                StringAssert.Contains(load.Result.Message, "not a regular file");
            }
        }
        finally { File.Delete(fifo); }
    }
}
