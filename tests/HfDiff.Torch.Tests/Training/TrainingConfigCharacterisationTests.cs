using HfDiff.Torch.Data.SrPairs;
using HfDiff.Torch.Losses;
using HfDiff.Torch.Metrics.Lpips;
using HfDiff.Torch.Training;
using HfDiff.Torch.Training.HfDiff;

namespace HfDiff.Torch.Tests.Training;

/// <summary>
/// What <see cref="TrainingConfig.Load"/> accepts and refuses in the <c>train:</c> and <c>hfdiff:</c> sections: every key it
/// reads, the quirks of the official YAMLs (learn_xT: 1, finetune_use_gt as a bool, batch as a [train, val] pair, whole
/// floats as integers, unused official keys) and representative bad values (file, section.key and value in the message).
/// </summary>
[TestClass]
public class TrainingConfigCharacterisationTests
{
    static string _dir = "";

    [TestInitialize]
    public void Init() => _dir = Directory.CreateTempSubdirectory("hfdiff-train-char-").FullName;

    [TestCleanup]
    public void Cleanup() => Directory.Delete(_dir, true);

    static string Write(string yaml)
    {
        var path = Path.Combine(_dir, "cfg.yaml");
        File.WriteAllText(path, yaml);
        return path;
    }

    static TrainingConfig Load(string yaml) => TrainingConfig.Load(Write(yaml));

    [TestMethod]
    public void EveryKey_ReadsIntoTheRecord()
    {
        File.WriteAllText(Path.Combine(_dir, "inn.safetensors"), "");
        var c = Load("""
            model:
              target: models.unet.UNetModelSwin
            train:
              lr: 2.0e-4
              lr_min: 2e-5
              lr_schedule: cosin
              batch: [8, 4]
              microbatch: 2
              ema_rate: 0.995
              iterations: 1e5
              milestones: [20, 100000]
              warmup_iterations: 200
              weight_decay: 0
              save_freq: 250
              seed: 20261202
              learn_xT: True
              finetune_use_gt: 0.5
              val_freq: 1000
              use_amp: True
              log_freq: [100, 2000, 20]
              tf_logging: False
            hfdiff:
              keep_checkpoints: 3
              max_grad_norm: 1.5
              max_consecutive_nonfinite: 7
              gt_size: 128
              log_every: 5
              val_freq: 50
              val_images: 4
              crop_mode: crop_pad
              crop_pad_size: 192
              early_backward: true
              losses: hf+dm+vgg+lpips
              hf_weight: 0.3
              hf_domain: rgb
              inn_ckpt: inn.safetensors
              dm_weight: 0.05
              dinov2: dinov2_vitb14
              dinov2_ckpt: dino.pth
              dm_temperature: 0.5
              image_chunk: 2
              vgg_weight: 0.7
              lpips_weight: 0.9
              lpips_net: alex
            """);
        CollectionAssert.AreEqual(new long[] { 20, 100000 }, c.Milestones.ToArray());
        var expected = new TrainingConfig
        {
            Lr = 2e-4, LrMin = 2e-5, LrSchedule = "cosin", Batch = 8, Microbatch = 2, EmaRate = 0.995, Iterations = 100_000,
            Milestones = c.Milestones, WarmupIterations = 200, WeightDecay = 0, SaveFreq = 250, Seed = 20261202, LearnXT = true,
            FinetuneUseGt = 0.5, KeepCheckpoints = 3, MaxGradNorm = 1.5, MaxConsecutiveNonFinite = 7, GtSize = 128, LogEvery = 5,
            ValFreq = 50, ValImages = 4, CropMode = SrCropMode.RealEsrganCropPad, CropPadSize = 192, EarlyBackward = true,
            HfDiff = new HfDiffLossOptions
            {
                Terms = HfDiffLossTerms.HighFrequency | HfDiffLossTerms.DistributionMatching | HfDiffLossTerms.VggPerceptual | HfDiffLossTerms.Lpips,
                HighFrequencyWeight = 0.3, HighFrequencyDomain = HighFrequencyLossDomain.Rgb,
                InnCheckpoint = Path.Combine(_dir, "inn.safetensors"), DistributionMatchingWeight = 0.05, Dinov2Model = "dinov2_vitb14",
                Dinov2Checkpoint = "dino.pth", DistributionMatchingTemperature = 0.5, ImageChunk = 2, VggWeight = 0.7, LpipsWeight = 0.9,
                LpipsNet = LpipsNet.Alex,
            },
        };
        Assert.AreEqual(expected, c);
    }

    [TestMethod]
    public void Defaults_WhenSectionsAbsentOrNull()
    {
        var d = new TrainingConfig();
        Assert.AreEqual(d with { Milestones = Load("model: {}\n").Milestones }, Load("model: {}\n"));
        var n = Load("train: ~\nhfdiff:\n");
        Assert.AreEqual(d with { Milestones = n.Milestones }, n);
        Assert.AreEqual(0, n.Milestones.Count);
    }

    [TestMethod]
    public void OfficialQuirks_AreAccepted()
    {
        Assert.IsTrue(Load("train:\n  learn_xT: 1\n").LearnXT);
        Assert.IsTrue(Load("train:\n  learn_xT: True\n").LearnXT);
        Assert.IsTrue(Load("train:\n  learn_xT: TRUE\n").LearnXT);
        Assert.IsFalse(Load("train:\n  learn_xT: 0\n").LearnXT);
        Assert.IsFalse(Load("train:\n  learn_xT: false\n").LearnXT);
        Assert.IsTrue(Load("train:\n  learn_xT: 'true'\n").LearnXT, "quoting is ignored");
        Assert.AreEqual(1.0, Load("train:\n  finetune_use_gt: True\n").FinetuneUseGt);
        Assert.AreEqual(0.0, Load("train:\n  finetune_use_gt: False\n").FinetuneUseGt);
        Assert.AreEqual(1.0, Load("train:\n  finetune_use_gt: 1\n").FinetuneUseGt);
        Assert.AreEqual(0.25, Load("train:\n  finetune_use_gt: 0.25\n").FinetuneUseGt);
        Assert.AreEqual(16, Load("train:\n  batch: 16\n").Batch);
        Assert.AreEqual(8, Load("train:\n  batch: [8, 8]\n").Batch);
        Assert.AreEqual(8, Load("train:\n  batch:\n    - 8\n    - 2\n").Batch);
        Assert.AreEqual(100_000, Load("train:\n  iterations: 1e5\n").Iterations);
        Assert.AreEqual(2000, Load("train:\n  iterations: 2.0e3\n").Iterations);
        Assert.AreEqual(32, Load("train:\n  batch: 32.0\n").Batch);
        Assert.AreEqual(1e-4, Load("train:\n  lr: '1e-4'\n").Lr, "quoting is ignored");
        Assert.AreEqual(300, Load("train:\n  iterations: \"300\"\n").Iterations, "quoting is ignored");
        Assert.IsNull(Load("train:\n  lr_schedule: ~\n").LrSchedule);
        Assert.IsNull(Load("train:\n  lr_schedule: null\n").LrSchedule);
        Assert.IsNull(Load("train:\n  lr_schedule: None\n").LrSchedule);
        Assert.AreEqual(5e-5, Load("train:\n  lr: ~\n").Lr, "null keeps the default");
        Assert.IsNull(Load("hfdiff:\n  max_grad_norm: null\n").MaxGradNorm);
        Assert.AreEqual(0, Load("train:\n  milestones: ~\n").Milestones.Count);
        CollectionAssert.AreEqual(new long[] { 5 }, Load("train:\n  milestones: [5]\n").Milestones.ToArray());
        Assert.AreEqual(1000, Load("train:\n  val_freq: 1000\n").ValFreq, "train.val_freq");
        Assert.AreEqual(7, Load("train:\n  val_freq: 1000\nhfdiff:\n  val_freq: 7\n").ValFreq, "hfdiff.val_freq wins");
        Assert.AreEqual("dinov2_vits14", Load("hfdiff:\n  dinov2: ~\n").HfDiff.Dinov2Model);
        Assert.AreEqual("/abs/inn.pth", Load("hfdiff:\n  inn_ckpt: /abs/inn.pth\n").HfDiff.InnCheckpoint);
        Assert.AreEqual("inn_missing.pth", Load("hfdiff:\n  inn_ckpt: inn_missing.pth\n").HfDiff.InnCheckpoint, "a model-directory name stays as written");
        File.WriteAllText(Path.Combine(_dir, "dino.pth"), "");
        Assert.AreEqual(Path.Combine(_dir, "dino.pth"), Load("hfdiff:\n  dinov2_ckpt: dino.pth\n").HfDiff.Dinov2Checkpoint);
    }

    [TestMethod]
    public void Switches_KeepEveryAlias()
    {
        foreach (var (text, mode) in new[] { ("rescale", SrCropMode.ResShiftRescale), ("rescale_gt", SrCropMode.ResShiftRescale),
                     ("realesrgan", SrCropMode.RealEsrganCropPad), ("crop_pad", SrCropMode.RealEsrganCropPad), ("RealESRGAN", SrCropMode.RealEsrganCropPad) })
            Assert.AreEqual(mode, Load($"hfdiff:\n  crop_mode: {text}\n").CropMode, text);
        foreach (var (text, domain) in new[] { ("latent", HighFrequencyLossDomain.VqLatent), ("latents", HighFrequencyLossDomain.VqLatent),
                     ("vq", HighFrequencyLossDomain.VqLatent), ("image", HighFrequencyLossDomain.Rgb), ("images", HighFrequencyLossDomain.Rgb),
                     ("rgb", HighFrequencyLossDomain.Rgb), ("RGB", HighFrequencyLossDomain.Rgb) })
            Assert.AreEqual(domain, Load($"hfdiff:\n  hf_domain: {text}\n").HfDiff.HighFrequencyDomain, text);
        foreach (var (text, net) in new[] { ("vgg", LpipsNet.Vgg), ("alex", LpipsNet.Alex), ("Alex", LpipsNet.Alex) })
            Assert.AreEqual(net, Load($"hfdiff:\n  lpips_net: {text}\n").HfDiff.LpipsNet, text);
    }

    /// <summary>The refusal is an <see cref="InvalidDataException"/> naming the file, <c>section.key</c> and (where given) the value.</summary>
    static void Refused(string yaml, string key, string? value)
    {
        var path = Write(yaml);
        var e = Assert.ThrowsExactly<InvalidDataException>(() => TrainingConfig.Load(path), yaml);
        StringAssert.Contains(e.Message, path, yaml);
        StringAssert.Contains(e.Message, key, yaml);
        if (value is not null) StringAssert.Contains(e.Message, value, yaml);
    }

    [TestMethod]
    public void BadValues_AreRefusedNamingFileKeyAndValue()
    {
        Refused("train:\n  lr: abc\n", "train.lr", "abc");
        Refused("train:\n  iterations: 1.5\n", "train.iterations", "1.5");
        Refused("train:\n  seed: x12\n", "train.seed", "x12");
        Refused("train:\n  learn_xT: maybe\n", "train.learn_xT", "maybe");
        Refused("train:\n  learn_xT: yes\n", "train.learn_xT", "yes");
        Refused("train:\n  finetune_use_gt: maybe\n", "train.finetune_use_gt", "maybe");
        Refused("train:\n  batch: [x, 2]\n", "train.batch", null);
        Refused("train:\n  batch: []\n", "train.batch", null);
        Refused("train:\n  batch: big\n", "train.batch", "big");
        Refused("train:\n  milestones: 5\n", "train.milestones", null);
        Refused("train:\n  milestones: [1, x]\n", "train.milestones", null);
        Refused("train:\n  lr: [1, 2]\n", "train.lr", null);
        Refused("hfdiff:\n  gt_size: 12.5\n", "hfdiff.gt_size", "12.5");
        Refused("hfdiff:\n  early_backward: sometimes\n", "hfdiff.early_backward", "sometimes");
        Refused("hfdiff:\n  hf_weight: heavy\n", "hfdiff.hf_weight", "heavy");
        Refused("hfdiff:\n  crop_mode: center\n", "hfdiff.crop_mode", "center");
        Refused("hfdiff:\n  hf_domain: pixels\n", "hfdiff.hf_domain", "pixels");
        Refused("hfdiff:\n  lpips_net: squeeze\n", "hfdiff.lpips_net", "squeeze");
        Refused("hfdiff:\n  losses: hf+sharpness\n", "hfdiff.losses", "sharpness");
        Refused("hfdiff:\n  image_chunk: -1\n", "hfdiff", "-1");
        Refused("hfdiff:\n  dm_temperature: 0\n", "hfdiff", "DistributionMatchingTemperature");
    }
}
