using System.Text.Json;
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

    /// <summary>An official-style YAML (JSON flow mappings are YAML) with the fixture's networks and a short train section.</summary>
    static string Config(string dir, long iterations)
    {
        var trainer = TestPaths.Fixture("trainer");
        var source = TestPaths.Fixture("resshift");
        var cfg = TestPaths.ReadConfig(trainer);
        string J(string name) => cfg.GetProperty(name).GetRawText();
        var unet = cfg.GetProperty("unet_kwargs").GetProperty("teacher").GetRawText();
        var diffusion = JsonSerializer.Serialize(cfg.GetProperty("diffusion").EnumerateObject()
            .Where(p => p.Value.ValueKind != JsonValueKind.Null).ToDictionary(p => p.Name, p => p.Value));
        var yaml = $"""
            model:
              target: models.unet.UNetModelSwin
              ckpt_path: {Path.Combine(source, "resshift_unet_A.pth")}
              params: {unet}
            autoencoder:
              target: ldm.models.autoencoder.VQModelTorch
              ckpt_path: {Path.Combine(source, "autoencoder_vq_f4.pth")}
              use_fp16: False
              params: {J("autoencoder_kwargs")}
            diffusion:
              target: models.script_util.create_gaussian_diffusion
              params: {diffusion}
            train:
              lr: 3e-4
              batch: [2, 1]
              microbatch: 1
              ema_rate: 0.9
              iterations: {iterations}
              warmup_iterations: 2
              weight_decay: 0
              save_freq: 1
              seed: 3
            hfdiff:
              gt_size: 128
              log_every: 1
            """;
        var path = Path.Combine(dir, "train.yaml");
        File.WriteAllText(path, yaml);
        return path;
    }

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
}
