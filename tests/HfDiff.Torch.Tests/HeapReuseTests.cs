using HfDiff.Torch;

namespace HfDiff.Torch.Tests;

[TestClass]
public class HeapReuseTests
{
    static readonly Dictionary<string, string?> None = new();

    static Func<string, string?> Env(Dictionary<string, string?> values) => name => values.GetValueOrDefault(name);

    [TestMethod]
    public void DisabledReason_NamesEachWayToKeepMallocAsItIs()
    {
        if (!OperatingSystem.IsLinux()) Assert.Inconclusive("glibc malloc settings are Linux-only");
        Assert.IsNull(HeapReuse.DisabledReason(Env(None)));
        Assert.IsNull(HeapReuse.DisabledReason(Env(new() { [HeapReuse.DisableVariable] = "1" })));
        Assert.AreEqual("HFDIFF_HEAP_REUSE=0", HeapReuse.DisabledReason(Env(new() { [HeapReuse.DisableVariable] = "0" })));
        Assert.IsNotNull(HeapReuse.DisabledReason(Env(new() { ["MALLOC_TRIM_THRESHOLD_"] = "1000" })));
        Assert.IsNotNull(HeapReuse.DisabledReason(Env(new() { ["MALLOC_MMAP_THRESHOLD_"] = "1000" })));
        Assert.IsNotNull(HeapReuse.DisabledReason(Env(new() { ["GLIBC_TUNABLES"] = "glibc.malloc.mmap_threshold=65536" })));
        Assert.IsNull(HeapReuse.DisabledReason(Env(new() { ["GLIBC_TUNABLES"] = "glibc.cpu.hwcaps=-AVX512F" })));
    }

    [TestMethod]
    public void TryEnable_OnGlibc_IsAcceptedOnceAndRemembered()
    {
        if (!OperatingSystem.IsLinux()) Assert.Inconclusive("glibc malloc settings are Linux-only");
        if (HeapReuse.DisabledReason() is { } reason) Assert.Inconclusive($"turned off here: {reason}");
        if (!IsGlibc()) Assert.Inconclusive("not glibc");
        // Its effect (pages of freed maps reused) shows on the process's main thread, so it is tested through the CLI:
        // HfDiff.Cli.Tests BenchCommandTests.BenchSr_HeapReuse_CutsPageFaultsPerRun.
        Assert.IsTrue(HeapReuse.TryEnable());
        Assert.IsTrue(HeapReuse.Enabled);
        Assert.IsTrue(HeapReuse.TryEnable(), "a second call returns the first result");
    }

    static bool IsGlibc()
    {
        // gnu_get_libc_version exists only in glibc.
        return System.Runtime.InteropServices.NativeLibrary.TryLoad("libc.so.6", out var lib)
            && System.Runtime.InteropServices.NativeLibrary.TryGetExport(lib, "gnu_get_libc_version", out _);
    }
}
