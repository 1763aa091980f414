using HfDiff.Torch.Training.HfDiff;
using HfDiff.Torch.Data.SrPairs;
using HfDiff.Torch.Training;

namespace HfDiff.Torch.Tests.Training;

[TestClass]
public class TrainingConfigTests
{
    static TrainingConfig Load(string yaml)
    {
        var path = Path.Combine(Directory.CreateTempSubdirectory("hfdiff-train-config-").FullName, "cfg.yaml");
        File.WriteAllText(path, yaml);
        try { return TrainingConfig.Load(path); }
        finally { Directory.Delete(Path.GetDirectoryName(path)!, true); }
    }

    [TestMethod]
    public void CropMode_DefaultsToResShiftRescale_AndReadsRealEsrganWithItsPadSize()
    {
        var d = Load("train:\n  lr: 1e-4\n");
        Assert.AreEqual(SrCropMode.ResShiftRescale, d.CropMode, "the official ResShift/SinSR data setting");
        Assert.AreEqual(400, d.CropPadSize);
        var r = Load("hfdiff:\n  crop_mode: realesrgan\n  crop_pad_size: 192\n");
        Assert.AreEqual(SrCropMode.RealEsrganCropPad, r.CropMode);
        Assert.AreEqual(192, r.CropPadSize);
        var e = Assert.ThrowsExactly<InvalidDataException>(() => Load("hfdiff:\n  crop_mode: center\n"));
        StringAssert.Contains(e.Message, "hfdiff.crop_mode");
    }

    [TestMethod]
    public void EarlyBackwardAndImageChunk_OffByDefault_ReadFromHfDiffSectionIntoStudentOptions()
    {
        Assert.IsFalse(Load("train:\n  lr: 1e-4\n").ToStudentOptions().EarlyBackward, "the official single backward by default");
        Assert.IsTrue(Load("hfdiff:\n  early_backward: true\n").ToStudentOptions().EarlyBackward);
        Assert.ThrowsExactly<InvalidDataException>(() => Load("hfdiff:\n  early_backward: sometimes\n"));
        Assert.IsFalse(Load("hfdiff:\n  early_backward: true\n").ToStudentOptions().ExtraTermsFirst, "extra terms after the distillation graph by default");
        Assert.IsTrue(Load("hfdiff:\n  early_backward: true\n  extra_terms_first: true\n").ToStudentOptions().ExtraTermsFirst);
        StringAssert.Contains(Assert.ThrowsExactly<InvalidDataException>(() => Load("hfdiff:\n  extra_terms_first: true\n")).Message,
                              "hfdiff.early_backward", "extra_terms_first alone is refused naming what it needs");
        Assert.AreEqual(0, Load("train:\n  lr: 1e-4\n").HfDiff.ImageChunk, "image terms decode the whole microbatch by default");
        Assert.AreEqual(2, Load("hfdiff:\n  image_chunk: 2\n").ToStudentOptions().HfDiff.ImageChunk);
        Assert.ThrowsExactly<InvalidDataException>(() => Load("hfdiff:\n  image_chunk: -1\n"));
        Assert.AreEqual(HfDiffTermPrecision.Fp32, Load("train:\n  lr: 1e-4\n").HfDiff.TermPrecision, "float32 terms by default");
        Assert.AreEqual(HfDiffTermPrecision.Bf16, Load("hfdiff:\n  term_precision: bf16\n").ToStudentOptions().HfDiff.TermPrecision);
        StringAssert.Contains(Assert.ThrowsExactly<InvalidDataException>(() => Load("hfdiff:\n  term_precision: fp8\n")).Message, "hfdiff.term_precision");
        // hfdiff: is our own section, so a misspelt key is refused naming it (unused official train: keys are ignored).
        var typo = Assert.ThrowsExactly<InvalidDataException>(() => Load("hfdiff:\n  hf_wieght: 0.3\n"));
        StringAssert.Contains(typo.Message, "'hf_wieght'");
        StringAssert.Contains(typo.Message, "hf_weight");
        Assert.AreEqual(5e-5, Load("train:\n  use_amp: true\n  log_freq: [100, 2000]\n").Lr, "official train: keys we do not use");
    }

    [TestMethod]
    public void BadValues_NameFileLineSectionKeyValueAndAllowed()
    {
        var dir = Directory.CreateTempSubdirectory("hfdiff-train-config-").FullName;
        var path = Path.Combine(dir, "cfg.yaml");
        string Message(string yaml)
        {
            File.WriteAllText(path, yaml);
            return Assert.ThrowsExactly<InvalidDataException>(() => TrainingConfig.Load(path)).Message;
        }
        try
        {
            Assert.AreEqual($"'{path}' (line 3): train.iterations must be an integer; got '1.5'.", Message("train:\n  lr: 1e-4\n  iterations: 1.5\n"));
            Assert.AreEqual($"'{path}' (line 2): train.learn_xT must be true or false; got 'maybe'.", Message("train:\n  learn_xT: maybe\n"));
            Assert.AreEqual($"'{path}' (line 2): train.finetune_use_gt must be a number or true/false; got 'maybe'.", Message("train:\n  finetune_use_gt: maybe\n"));
            Assert.AreEqual($"'{path}' (line 2): train.batch must be an integer or a list whose first entry is one; got [].", Message("train:\n  batch: []\n"));
            Assert.AreEqual($"'{path}' (line 2): train.milestones must be a list of integers; got '5'.", Message("train:\n  milestones: 5\n"));
            Assert.AreEqual($"'{path}' (line 2): hfdiff.crop_mode must be one of rescale, rescale_gt, realesrgan, crop_pad; got 'center'.", Message("hfdiff:\n  crop_mode: center\n"));
            Assert.AreEqual($"'{path}' (line 2): hfdiff.hf_domain must be one of latent, latents, vq, image, images, rgb; got 'pixels'.", Message("hfdiff:\n  hf_domain: pixels\n"));
            Assert.AreEqual($"'{path}' (line 2): hfdiff.lpips_net must be one of vgg, alex; got 'squeeze'.", Message("hfdiff:\n  lpips_net: squeeze\n"));
            // Changed with the move to OptionsBinder: a boolean where a number belongs used to be ignored (the default kept).
            Assert.AreEqual($"'{path}' (line 2): train.lr must be a number; got 'true'.", Message("train:\n  lr: true\n"));
            Assert.AreEqual($"'{path}' (line 2): hfdiff.max_grad_norm must be a number or null; got 'false'.", Message("hfdiff:\n  max_grad_norm: false\n"));
            // ... and an int setting out of range used to wrap around.
            Assert.AreEqual($"'{path}' (line 2): train.batch must be an integer; got '5000000000'.", Message("train:\n  batch: 5000000000\n"));
        }
        finally { Directory.Delete(dir, true); }
    }

    [TestMethod]
    public void BundledTrainingYamls_Load()
    {
        var root = HfDiff.Tests.Common.TestPaths.RepositoryRoot();
        if (root is null) Assert.Inconclusive("repository root not found");
        var student = TrainingConfig.Load(Path.Combine(root, "data", "default-model", "student.yaml"));
        Assert.AreEqual((8, true, 1.0, SrCropMode.RealEsrganCropPad, 192), (student.Batch, student.LearnXT, student.FinetuneUseGt, student.CropMode, student.CropPadSize));
        CollectionAssert.AreEqual(new long[] { 20, 100000 }, student.Milestones.ToArray());
        var teacher = TrainingConfig.Load(Path.Combine(root, "data", "default-model", "teacher.yaml"));
        Assert.AreEqual(("cosin", 2e-5, 2000L), (teacher.LrSchedule, teacher.LrMin, teacher.Iterations));
        Assert.AreEqual(3000L, TrainingConfig.Load(Path.Combine(root, "data", "default-model", "autoencoder.yaml")).Iterations, "crop_size is not a train: key read here");
    }
}
