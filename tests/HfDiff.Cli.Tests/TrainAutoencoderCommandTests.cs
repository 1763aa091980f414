using HfDiff.Torch.Archs.ResShift;
using HfDiff.Torch.Imaging;
using HfDiff.Torch.Weights;
using TorchSharp;

namespace HfDiff.Cli.Tests;

/// <summary><c>hfdiff train autoencoder</c> smoke test: a tiny network from a YAML config, two random HR images, validation.</summary>
[TestClass]
public class TrainAutoencoderCommandTests
{
    static int _threads;

    [ClassInitialize]
    public static void SingleThread(TestContext _) { _threads = torch.get_num_threads(); torch.set_num_threads(1); }

    [ClassCleanup]
    public static void RestoreThreads() => torch.set_num_threads(_threads);

    const string Yaml = """
        preset: tiny
        autoencoder:
          embed_dim: 3
          n_embed: 32
          ddconfig: {double_z: false, z_channels: 3, resolution: 32, in_channels: 3, out_ch: 3, ch: 32, ch_mult: [1, 1, 1], num_res_blocks: 1, attn_resolutions: [], dropout: 0.0}
        train: {batch: 2, microbatch: 1, crop_size: 32, iterations: ITERS, save_freq: 2, val_freq: 2, log_every: 1}
        loss: {disc_start: 1, disc_ndf: 8, disc_num_layers: 2, perceptual: none, restart_dead_codes: true, dead_code_iterations: 2}
        """;

    [TestMethod]
    public void TrainAutoencoder_TinyYaml_WritesLogValidationAndLoadableStateDict()
    {
        string work = CliHarness.TempDir("hfdiff-cli-train-ae"), hr = Path.Combine(work, "hr"), output = Path.Combine(work, "run");
        Directory.CreateDirectory(hr);
        var rnd = new Random(5);
        foreach (var (w, h, i) in new[] { (40, 36, 0), (30, 50, 1) })
        {
            var rgb = new byte[w * h * 3];
            rnd.NextBytes(rgb);
            ImageIO.WritePng(rgb, w, h, Path.Combine(hr, $"{i}.png"));
        }
        string Config(int iters)
        {
            var path = Path.Combine(work, $"ae{iters}.yaml");
            File.WriteAllText(path, Yaml.Replace("ITERS", iters.ToString(System.Globalization.CultureInfo.InvariantCulture)));
            return path;
        }
        var noModels = Path.Combine(work, "models");
        var first = CliHarness.Run("train", "autoencoder", "--config", Config(2), "--data", hr, "--out", output, "--val", hr, "--models", noModels);
        Assert.AreEqual(0, first.Exit, first.Err + first.Out);
        StringAssert.Contains(first.Out, "perceptual none");
        StringAssert.Contains(first.Out, "val iter 2: PSNR-Y");
        Assert.IsTrue(File.Exists(Path.Combine(output, "val", "iter000000002.png")));
        Assert.AreEqual(2, File.ReadAllLines(Path.Combine(output, "val_log.csv")).Length);
        var header = File.ReadAllLines(Path.Combine(output, "train_log.csv"))[0];
        foreach (var col in new[] { "l1_loss", "quant_loss", "d_weight", "disc_loss", "perplexity", "dead_codes", "codes_restarted" })
            StringAssert.Contains(header, col);

        // Without --resume the run folder is refused; with it the run continues.
        var refused = CliHarness.Run("train", "autoencoder", "--config", Config(3), "--data", hr, "--out", output, "--models", noModels);
        Assert.AreNotEqual(0, refused.Exit);
        var resumed = CliHarness.Run("train", "autoencoder", "--config", Config(3), "--data", hr, "--out", output, "--models", noModels, "--resume");
        Assert.AreEqual(0, resumed.Exit, resumed.Err + resumed.Out);
        Assert.AreEqual(4, File.ReadAllLines(Path.Combine(output, "train_log.csv")).Length);

        using var fresh = new VQModelTorch(new VQModelOptions
        {
            EmbedDim = 3, NEmbed = 32,
            DdConfig = new DdConfig { Ch = 32, ChMult = [1, 1, 1], NumResBlocks = [1, 1, 1], ZChannels = 3, Resolution = 32 },
        });
        Checkpoint.LoadInto(fresh, Path.Combine(output, "model_final.pth"), strict: true);
        Checkpoint.LoadInto(fresh, Path.Combine(output, "ema_model_final.pth"), strict: true);
    }

    [TestMethod]
    public void TrainAutoencoder_UnknownPreset_ReportsUsageError()
    {
        string work = CliHarness.TempDir("hfdiff-cli-train-ae-bad");
        var r = CliHarness.Run("train", "autoencoder", "--config", "huge", "--data", work, "--out", Path.Combine(work, "run"));
        Assert.AreNotEqual(0, r.Exit);
        StringAssert.Contains(r.Err + r.Out, "neither 'tiny', 'official' nor an existing file");
    }
}
