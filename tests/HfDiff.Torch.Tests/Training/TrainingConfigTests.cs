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
        Assert.AreEqual(0, Load("train:\n  lr: 1e-4\n").HfDiff.ImageChunk, "image terms decode the whole microbatch by default");
        Assert.AreEqual(2, Load("hfdiff:\n  image_chunk: 2\n").ToStudentOptions().HfDiff.ImageChunk);
        Assert.ThrowsExactly<InvalidDataException>(() => Load("hfdiff:\n  image_chunk: -1\n"));
    }
}
