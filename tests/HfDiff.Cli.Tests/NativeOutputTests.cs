using HfDiff.Torch;

namespace HfDiff.Cli.Tests;

/// <summary>libtorch's own stderr lines stay out of the CLI's output.</summary>
[TestClass]
public class NativeOutputTests
{
    [TestMethod]
    public void Run_AnyCommand_DisablesNnpackBeforeTheFirstConvolution()
    {
        // The flag is reachable through libtorch_cpu's exported symbols; start from libtorch's default (on).
        Assert.IsTrue(TorchNative.TrySetNnpack(true), "libtorch's NNPACK flag is not reachable");
        Assert.IsTrue(TorchNative.NnpackEnabled);
        var (exit, _, err) = CliHarness.Run("models", "list", "--models", CliHarness.TempDir("hfdiff-cli-nnpack"));
        Assert.AreEqual(0, exit, err);
        // Off, so libtorch never initialises NNPACK and never prints "Could not initialize NNPACK! Reason: Unsupported hardware."
        Assert.IsFalse(TorchNative.NnpackEnabled);
        TorchNative.TrySetNnpack(true);
    }

    [TestMethod]
    public void BenchIqa_Batch16Convolutions_NativeStderrHasNoNnpackLine()
    {
        // Batches of 16 are where libtorch considers NNPACK for a convolution; the child's real fd 2 is captured.
        var (exit, output, err) = CliProcess.Run("bench", "iqa", "--size", "32", "--metrics", "lpips", "--runs", "1", "--batch", "16");
        Assert.AreEqual(0, exit, err + output);
        StringAssert.Contains(output, "lpips");
        Assert.DoesNotContain("NNPACK", err);
    }
}
