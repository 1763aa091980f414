using HfDiff.Tests.Common;
using HfDiff.Torch.Imaging;
using TorchSharp;

namespace HfDiff.Cli.Tests;

/// <summary><c>hfdiff train</c> on the reduced networks of fixtures/resshift (settings of fixtures/trainer), two random HR images.</summary>
[TestClass]
public class TrainCommandTests
{
    static int _threads;

    [ClassInitialize]
    public static void SingleThread(TestContext _) { _threads = torch.get_num_threads(); torch.set_num_threads(1); }

    [ClassCleanup]
    public static void RestoreThreads() => torch.set_num_threads(_threads);

    /// <summary>The fixture networks' training YAML (<see cref="FixtureTrainingYaml"/>).</summary>
    internal static string Config(string dir, long iterations, bool student = false, string hfdiff = "") =>
        FixtureTrainingYaml.Write(dir, iterations, student, hfdiff);

    static string HrFolder()
    {
        var dir = CliHarness.TempDir("hfdiff-cli-train-hr");
        var rnd = new Random(5);
        for (int i = 0; i < 2; i++)
        {
            var rgb = new byte[160 * 160 * 3];
            rnd.NextBytes(rgb);
            ImageIO.WritePng(rgb, 160, 160, Path.Combine(dir, $"{i}.png"));
        }
        return dir;
    }

    [TestMethod, TestCategory("Parity.Training")]
    public void Train_Teacher_ShortRunWritesLogAndStateDictsAndResumes()
    {
        string work = CliHarness.TempDir("hfdiff-cli-train"), hr = HrFolder(), output = Path.Combine(work, "run");
        var first = CliHarness.Run("train", "teacher", "--config", Config(work, 2), "--data", hr, "--out", output);
        Assert.AreEqual(0, first.Exit, first.Err + first.Out);
        StringAssert.Contains(first.Out, "iter 2/2");
        StringAssert.Contains(first.Out, "it/s  ETA ");
        Assert.IsTrue(File.Exists(Path.Combine(output, "model_final.pth")) && File.Exists(Path.Combine(output, "ema_model_final.pth")));
        Assert.AreEqual(3, File.ReadAllLines(Path.Combine(output, "train_log.csv")).Length, "header + 2 rows");

        var again = CliHarness.Run("train", "teacher", "--config", Config(work, 2), "--data", hr, "--out", output);
        Assert.AreEqual(2, again.Exit, again.Out);
        StringAssert.Contains(again.Err, "already holds checkpoints");

        var resumed = CliHarness.Run("train", "teacher", "--config", Config(work, 3), "--data", hr, "--out", output, "--resume");
        Assert.AreEqual(0, resumed.Exit, resumed.Err + resumed.Out);
        StringAssert.Contains(resumed.Out, "iter 3/3");
        Assert.IsFalse(resumed.Out.Contains("iter 1/3", StringComparison.Ordinal), "resumed runs continue after the checkpoint");
        Directory.Delete(work, true);
        Directory.Delete(hr, true);
    }

    /// <summary>
    /// Student with HF-Diff's high-frequency term (a tiny INN file as from pretrain-inn) and validation on LR/GT folders:
    /// the log has the hf column, validation.csv one row at val_freq = 2 (the end), the grid and the loss curves exist.
    /// </summary>
    [TestMethod, TestCategory("Parity.Training")]
    public void Train_StudentWithHfTermAndVal_WritesValidationGridAndLossCurves()
    {
        string work = CliHarness.TempDir("hfdiff-cli-train-hf"), hr = HrFolder(), output = Path.Combine(work, "run");
        var inn = Path.Combine(work, "inn.pth");
        torch.random.manual_seed(2);
        using (var net = new HfDiff.Torch.Archs.HfDiff.HfDiffInnFeatureExtractor(new() { Channels = 4, NumNodes = 1, StemDepth = 1, NumClasses = 3 }))
            HfDiff.Torch.Training.Core.StateDictFiles.WritePth(inn, net.state_dict());
        string lr = Path.Combine(work, "val_lr"), gt = Path.Combine(work, "val_gt");
        Directory.CreateDirectory(lr);
        Directory.CreateDirectory(gt);
        var rnd = new Random(8);
        var small = new byte[32 * 32 * 3];
        rnd.NextBytes(small);
        ImageIO.WritePng(small, 32, 32, Path.Combine(lr, "x.png"));
        var big = new byte[128 * 128 * 3];
        rnd.NextBytes(big);
        ImageIO.WritePng(big, 128, 128, Path.Combine(gt, "x.png"));

        var config = Config(work, 2, student: true, hfdiff: $"  losses: hf\n  inn_ckpt: {inn}");
        var run = CliHarness.Run("train", "student", "--config", config, "--data", hr, "--out", output, "--val", $"{lr}:{gt}", "--models", work);
        Assert.AreEqual(0, run.Exit, run.Err + run.Out);
        StringAssert.Contains(run.Out, "extra terms (hf): hf x 0.2");
        StringAssert.Contains(run.Out, "val iter 2: psnr ");
        var log = File.ReadAllLines(Path.Combine(output, "train_log.csv"));
        StringAssert.Contains(log[0], ",hf,");
        var val = File.ReadAllLines(Path.Combine(output, "validation.csv"));
        Assert.AreEqual("iteration,images,psnr,ssim,seconds", val[0]);
        Assert.HasCount(2, val, "one validation: iteration 2");
        Assert.IsTrue(File.Exists(Path.Combine(output, "validation", "iter_000000002.png")));
        var curves = ImageIO.Read(Path.Combine(output, "loss_curves.png"));
        Assert.IsGreaterThan(100, curves.Width);
        Directory.Delete(work, true);
        Directory.Delete(hr, true);
    }

    [TestMethod]
    public void Train_StudentDmWithoutWeights_FailsAtStartNamingFileAndFetchAlias()
    {
        string work = CliHarness.TempDir("hfdiff-cli-train-dm"), hr = HrFolder(), models = CliHarness.TempDir("hfdiff-cli-empty-models");
        var run = CliHarness.Run("train", "student", "--config", Config(work, 1, student: true), "--data", hr, "--out", Path.Combine(work, "run"),
                                 "--losses", "dm", "--models", models);
        Assert.AreEqual(2, run.Exit, run.Out);
        StringAssert.Contains(run.Err, "dinov2_vits14_pretrain.pth");
        StringAssert.Contains(run.Err, "hfdiff models fetch dinov2-s14");
        Assert.IsFalse(File.Exists(Path.Combine(work, "run", "train_log.csv")), "nothing trained");

        var teacher = CliHarness.Run("train", "teacher", "--config", Config(work, 1), "--data", hr, "--out", Path.Combine(work, "run2"), "--losses", "hf+dm");
        Assert.AreEqual(2, teacher.Exit);
        StringAssert.Contains(teacher.Err, "student");
        Directory.Delete(work, true);
        Directory.Delete(hr, true);
    }
}
