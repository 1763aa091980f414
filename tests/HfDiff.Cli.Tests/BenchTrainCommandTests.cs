using TorchSharp;

namespace HfDiff.Cli.Tests;

/// <summary><c>hfdiff bench train</c> smoke test on the reduced networks of fixtures/resshift (no timing assertions).</summary>
[TestClass]
public class BenchTrainCommandTests
{
    static int _threads;

    [ClassInitialize]
    public static void SingleThread(TestContext _) { _threads = torch.get_num_threads(); torch.set_num_threads(1); }

    [ClassCleanup]
    public static void RestoreThreads() => torch.set_num_threads(_threads);

    [TestMethod]
    public void BenchTrain_TinyConfig_TimesEveryStageOfStudentAndTeacher_WithAndWithoutHfDiffTerms()
    {
        var work = CliHarness.TempDir("hfdiff-cli-bench-train");
        var config = TrainCommandTests.Config(work, 1, student: true);
        var (exit, output, err) = CliHarness.Run("bench", "train", "--arch", config, "--gt-size", "128", "--batch", "2", "--microbatch", "1,2", "--warmup", "0",
            "--losses", "sinsr,hf+dm");
        Assert.AreEqual(0, exit, err + output);
        var lines = output.Split('\n');
        foreach (var head in new[] { "student  sinsr, microbatch 1:", "student  sinsr, microbatch 2:", "student  hf+dm, microbatch 1:", "student  hf+dm, microbatch 2:" })
        {
            var line = lines.FirstOrDefault(l => l.StartsWith(head, StringComparison.Ordinal));
            Assert.IsNotNull(line, $"no '{head}' line in:\n{output}");
            foreach (var stage in new[] { "s/iteration", "student forward", "teacher chain", "encode", "losses", "backward", "optimizer", "peak RSS", "managed allocation", "no-GC region held in" })
                StringAssert.Contains(line, stage, output);
        }
        var teacher = lines.FirstOrDefault(l => l.StartsWith("teacher  microbatch 2:", StringComparison.Ordinal));
        Assert.IsNotNull(teacher, output);
        foreach (var stage in new[] { "model forward", "encode", "losses", "backward", "optimizer", "peak RSS" })
            StringAssert.Contains(teacher, stage, output);

        var bad = CliHarness.Run("bench", "train", "--arch", config, "--gt-size", "50");
        Assert.AreEqual(2, bad.Exit);
        StringAssert.Contains(bad.Err, "--gt-size");
        var badLoss = CliHarness.Run("bench", "train", "--arch", config, "--losses", "hf+nope");
        Assert.AreEqual(2, badLoss.Exit);
        StringAssert.Contains(badLoss.Err, "--losses");
    }
}
