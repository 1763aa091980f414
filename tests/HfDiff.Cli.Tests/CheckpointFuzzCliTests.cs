using System.Text;
using HfDiff.Tests.Common;
using HfDiff.Torch.Archs.ResShift;
using HfDiff.Torch.Configs;
using HfDiff.Torch.Imaging;
using TorchSharp.PyBridge;
using static HfDiff.Tests.Common.CraftedCheckpoints;
using static TorchSharp.torch;

namespace HfDiff.Cli.Tests;

/// <summary>
/// <c>hfdiff upscale</c> in a child process (with a timeout) on crafted checkpoints and configs generated here, for the
/// cases that used to abort the process (exit 134), overflow its stack or exhaust memory: each must exit 2 with one
/// <c>error:</c> line naming the file and the problem, and the tiny valid checkpoints must still upscale.
/// </summary>
[TestClass]
public class CheckpointFuzzCliTests
{
    static string _work = "", _yaml = "", _unet = "", _vq = "", _input = "";
    static readonly TimeSpan Timeout = TimeSpan.FromMinutes(2);

    [ClassInitialize]
    public static void Setup(TestContext _)
    {
        _work = CliHarness.TempDir("hfdiff-cli-fuzz");
        _yaml = Path.Combine(_work, "tiny.yaml");
        File.WriteAllText(_yaml, TinySrConfig.Yaml);
        var config = SrConfigReader.Parse(TinySrConfig.Yaml, _yaml);
        manual_seed(3);
        using (var unet = new UNetModelSwin(UNetModelSwinOptions.FromDictionary(config.Model.Params))) unet.save_py(_unet = Path.Combine(_work, "unet.pth"));
        using (var vq = new VQModelTorch(VQModelOptions.FromDictionary(config.Autoencoder!.Params))) vq.save_py(_vq = Path.Combine(_work, "vq.pth"));
        _input = Path.Combine(_work, "lr.png");
        using var img = linspace(0, 1, 3 * 16 * 16).reshape(1, 3, 16, 16);
        ImageIO.WritePng(img, _input);
    }

    [ClassCleanup]
    public static void Cleanup() => CliHarness.DeleteTempDirs();

    static string Crafted(string name, byte[] bytes)
    {
        var path = Path.Combine(_work, name);
        File.WriteAllBytes(path, bytes);
        return path;
    }

    static (int Exit, string Out, string Err) Upscale(string unet, string? config = null, string? output = null, string? vq = null) =>
        CliProcess.Run(null, Timeout, "upscale", _input, "--out", output ?? Path.Combine(_work, "out-" + Guid.NewGuid().ToString("N")),
                       "--config", config ?? _yaml, "--unet", unet, "--autoencoder", vq ?? _vq, "--steps", "1");

    /// <summary>Exit 2 (a user error), no stack trace, exactly one non-empty stderr line: <c>error: …</c> with every fragment.</summary>
    static void AssertOneLineError((int Exit, string Out, string Err) r, string what, params string[] fragments)
    {
        var lines = r.Err.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        Assert.AreEqual(2, r.Exit, $"{what}: exit code; stderr: {r.Err}");
        Assert.HasCount(1, lines, $"{what}: one line expected; stderr: {r.Err}");
        Assert.StartsWith("error: ", lines[0], what);
        foreach (var f in fragments) StringAssert.Contains(lines[0], f, what);
        Assert.DoesNotContain("   at ", r.Out + r.Err, what);
    }

    [TestMethod]
    public void Upscale_TinyValidCheckpoints_Writes()
    {
        var output = Path.Combine(_work, "valid-out");
        var r = Upscale(_unet, output: output);
        Assert.AreEqual(0, r.Exit, r.Err + r.Out);
        Assert.IsTrue(File.Exists(Path.Combine(output, "lr.png")));
    }

    [TestMethod]
    public void Upscale_NonStringKeys_OneLineError()
    {
        var ints = Crafted("int-keys.pth", ZipDict(b => ZipTensor(b.Int(5), "0", 4, 0, [4], [1]), ("0", FourFloats)));
        AssertOneLineError(Upscale(ints), "int keys", ints, "5 (int64)", "not a parameter name");
        var bytes = Crafted("bytes-keys.pth", LegacyDict(b => LegacyTensor(b.Raw((byte)'C', 1, 0x61), "0", 4, 0, [4], [1]), ("0", FourFloats, 4L)));
        AssertOneLineError(Upscale(bytes), "bytes keys", bytes, "bytes of length 1");
    }

    [TestMethod]
    public void Upscale_AbsurdLegacySizes_OneLineError()
    {
        var storage = Crafted("storage.pth", LegacyDict(b => LegacyTensor(b.Str("w"), "0", 1L << 60, 0, [4], [1]), ("0", FourFloats, 4L)));
        AssertOneLineError(Upscale(storage), "storage size", storage, "more than the file's");
        var extent = Crafted("extent.pth", LegacyDict(b => LegacyTensor(b.Str("w"), "0", 4, 0, [1L << 40, 1L << 40], [1L << 40, 1]), ("0", FourFloats, 4L)));
        AssertOneLineError(Upscale(extent), "extent", extent, "overflows 64-bit sizes");
    }

    [TestMethod]
    public void Upscale_PickleNestedMillionLevels_OneLineErrorNoStackOverflow()
    {
        const int Depth = 1_000_000;
        var zip = new LegacyPickleBuilder().Raw(0x80, 2).Op('}').Str("deep");
        DeepList(zip, Depth).Op('s').Op('.');
        var zipPath = Crafted("deep-zip.pth", Zip(zip.Bytes()));
        AssertOneLineError(Upscale(zipPath), "deep zip", zipPath, "no tensors found");

        // Legacy: a tensor at the bottom, so the rebuild pass has to walk all the way down.
        var legacyPath = Crafted("deep-legacy.pth", LegacyDict(b => DeepList(b.Str("deep"), Depth, inner => LegacyTensor(inner, "0", 4, 0, [4], [1])), ("0", FourFloats, 4L)));
        AssertOneLineError(Upscale(legacyPath), "deep legacy", legacyPath, "no tensors found");
    }

    [TestMethod]
    public void Upscale_BitFlippedCheckpoint_OneLineCrcError()
    {
        var bytes = File.ReadAllBytes(_unet);
        // Flip a bit in the middle of the largest storage entry's data (the file is mostly storage bytes).
        bytes[bytes.Length / 2] ^= 0x10;
        var path = Crafted("flipped.pth", bytes);
        AssertOneLineError(Upscale(path), "bit flip", path, "CRC-32");
    }

    [TestMethod]
    public void Upscale_CodeCallingPickle_Refused()
    {
        var evil = new LegacyPickleBuilder().Raw(0x80, 2).Global("os", "system").Str("touch /tmp/hfdiff-never-run").Raw(0x85).Op('R').Op('.');
        var path = Crafted("evil.pth", Zip(evil.Bytes()));
        AssertOneLineError(Upscale(path), "os.system", path, "refuses to load the class or function 'os.system'");
        Assert.IsFalse(File.Exists("/tmp/hfdiff-never-run"));
    }

    [TestMethod]
    public void Upscale_DeviceOrFifoAsCheckpoint_RefusedBeforeReading()
    {
        if (!OperatingSystem.IsLinux()) Assert.Inconclusive("Skipped: /dev/zero and mkfifo are Linux here.");
        var fifo = Path.Combine(_work, "fifo.pth");
        using (var mk = System.Diagnostics.Process.Start("mkfifo", [fifo])) mk.WaitForExit();
        foreach (var path in new[] { "/dev/zero", fifo })
            AssertOneLineError(Upscale(path), path, path, "not a regular file");
    }

    [TestMethod]
    public void Upscale_BadConfigs_OneLineError()
    {
        var cases = new (string Name, string Yaml, string Fragment)[]
        {
            ("broken.yaml", "model: [unclosed\n  target: x\n", "malformed YAML"),
            // 400 000 levels: under the 1 MB file cap, far beyond what a recursive reader survives.
            ("deep.yaml", "model: " + new string('[', 400_000) + new string(']', 400_000) + "\n", "nested more than"),
            ("big.yaml", "model: " + new string('[', 1_000_000) + new string(']', 1_000_000) + "\n", "at most 1048576 are read"),
            ("steps.yaml", TinySrConfig.With("steps", "1000000000"), "must be in [1, 100000]"),
            ("channels.yaml", TinySrConfig.With("model_channels", "10000000"), "more than half"),
            ("codes.yaml", TinySrConfig.With("n_embed", "2000000000").Replace("embed_dim: 3\n", "embed_dim: 100000\n"), "more than half"),
        };
        var laughs = new StringBuilder("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
        for (int i = 1; i < 10; i++) laughs.Append($"a{i}: &a{i} [").Append(string.Join(", ", Enumerable.Repeat($"*a{i - 1}", 10))).Append("]\n");
        laughs.Append("model: {target: models.unet.UNetModelSwin, params: {bomb: *a9}}\n");
        foreach (var (name, yaml, fragment) in cases.Append(("laughs.yaml", laughs.ToString(), "more than 100000 values")))
        {
            var path = Path.Combine(_work, name);
            File.WriteAllText(path, yaml);
            AssertOneLineError(Upscale(_unet, config: path), name, path, fragment);
        }
    }

    [TestMethod]
    public void Upscale_UnreadableCheckpoint_OneLineError()
    {
        // As root, permission bits do not stop reads; /proc/1/environ is unreadable to other processes even then.
        const string path = "/proc/1/environ";
        try { using var _ = File.OpenRead(path); Assert.Inconclusive($"Skipped: {path} is readable here."); }
        catch (UnauthorizedAccessException) { }
        catch (IOException) { Assert.Inconclusive($"Skipped: {path} is not available here."); }
        AssertOneLineError(Upscale(path), "unreadable", path, "denied");
    }

    [TestMethod]
    public void Upscale_UnwritableOutputFolder_OneLineError()
    {
        // As root, only a file system that refuses everyone works: creating a folder in /sys fails with EPERM.
        var output = $"/sys/hfdiff-out-{Guid.NewGuid():N}";
        try { Directory.CreateDirectory(output); Directory.Delete(output); Assert.Inconclusive("Skipped: /sys is writable here."); }
        catch (UnauthorizedAccessException) { }
        catch (IOException) { Assert.Inconclusive("Skipped: /sys refuses folders with another error here."); }
        AssertOneLineError(Upscale(_unet, output: output), "unwritable output", output, "denied");
    }
}
