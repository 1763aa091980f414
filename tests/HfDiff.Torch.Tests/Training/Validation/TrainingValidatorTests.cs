using HfDiff.Torch.Imaging;
using HfDiff.Torch.Training.Validation;
using TorchSharp;
using static TorchSharp.torch;

namespace HfDiff.Torch.Tests.Training.Validation;

/// <summary><see cref="TrainingValidator"/> on the reduced networks of fixtures/trainer, two random 32×32 LR images with 128×128 GT.</summary>
[TestClass]
public class TrainingValidatorTests
{
    static int _threads;

    [ClassInitialize]
    public static void SingleThread(TestContext _) { _threads = torch.get_num_threads(); torch.set_num_threads(1); }

    [ClassCleanup]
    public static void RestoreThreads() => torch.set_num_threads(_threads);

    static (string Lr, string Gt) Images(string root)
    {
        string lr = Path.Combine(root, "lr"), gt = Path.Combine(root, "gt");
        Directory.CreateDirectory(lr);
        Directory.CreateDirectory(gt);
        var rnd = new Random(3);
        foreach (var name in new[] { "a", "b" })
        {
            var small = new byte[32 * 32 * 3];
            rnd.NextBytes(small);
            ImageIO.WritePng(small, 32, 32, Path.Combine(lr, name + ".png"));
            var big = new byte[128 * 128 * 3];
            rnd.NextBytes(big);
            ImageIO.WritePng(big, 128, 128, Path.Combine(gt, name + ".png"));
        }
        return (lr, gt);
    }

    [TestMethod]
    public void Validate_StudentEma_WritesMetricsRowAndGridAndDropsRedoneRowsOnResume()
    {
        var root = Directory.CreateTempSubdirectory("hfdiff-val").FullName;
        try
        {
            var (lr, gt) = Images(root);
            var run = Path.Combine(root, "run");
            var models = Directory.CreateDirectory(Path.Combine(root, "models")).FullName;   // empty: learned metrics and NIQE are skipped
            using var fx = new TrainerFixture();
            using var student = fx.UNet("student", TrainerFixture.StudentFile);
            using var vq = fx.Autoencoder();
            var options = new TrainingValidationOptions { LrFolder = lr, GtFolder = gt, ValFreq = 5, ModelDirectory = models };
            var weights = student.state_dict();
            using (var v = new TrainingValidator(options, student.Options, vq, fx.ScheduleOptions, oneStep: true, run))
            {
                Assert.AreEqual(1, v.Steps);
                CollectionAssert.AreEqual(new[] { "psnr", "ssim" }, v.Metrics.ToArray());
                CollectionAssert.IsSubsetOf(new[] { "lpips", "niqe", "clipiqa", "musiq" }, v.Skipped.Select(s => s.Metric).ToArray());
                Assert.IsTrue(v.IsDue(5, 12) && v.IsDue(12, 12) && !v.IsDue(6, 12));
                var r = v.Validate(5, weights);
                Assert.AreEqual(2, r.Images);
                Assert.IsTrue(double.IsFinite(r.Means["psnr"]) && r.Means["psnr"] > 0, $"psnr {r.Means["psnr"]}");
                Assert.IsTrue(double.IsFinite(r.Means["ssim"]), $"ssim {r.Means["ssim"]}");
                var grid = ImageIO.Read(r.GridPath!);
                Assert.AreEqual(3 * 128 + 2 * 4, grid.Width, "LR | SR | GT with 4-pixel gaps");
                Assert.AreEqual(2 * 128 + 4, grid.Height, "two images");
                v.Validate(10, weights);
                var lines = File.ReadAllLines(v.CsvPath);
                Assert.AreEqual("iteration,images,psnr,ssim,seconds", lines[0]);
                Assert.HasCount(3, lines);
                StringAssert.StartsWith(lines[1], "5,2,");
            }
            // A run resumed from iteration 5 redoes 10: the old row 10 goes.
            using (var again = new TrainingValidator(options, student.Options, vq, fx.ScheduleOptions, oneStep: true, run))
            {
                again.Validate(10, weights);
                var lines = File.ReadAllLines(again.CsvPath);
                Assert.HasCount(3, lines);
                StringAssert.StartsWith(lines[2], "10,2,");
            }
        }
        finally { Directory.Delete(root, true); }
    }

    [TestMethod]
    public void Validate_TeacherWithoutGt_RunsTStepsWithNoReferenceMetricsOnly()
    {
        var root = Directory.CreateTempSubdirectory("hfdiff-val-t").FullName;
        try
        {
            var (lr, _) = Images(root);
            var models = Directory.CreateDirectory(Path.Combine(root, "models")).FullName;
            using var fx = new TrainerFixture();
            using var teacher = fx.UNet("teacher", TrainerFixture.TeacherFile);
            using var vq = fx.Autoencoder();
            using var v = new TrainingValidator(new TrainingValidationOptions { LrFolder = lr, MaxImages = 1, ModelDirectory = models, GridImages = 1 },
                                                teacher.Options, vq, fx.ScheduleOptions, oneStep: false, Path.Combine(root, "run"));
            Assert.AreEqual(new HfDiff.Torch.Schedules.ResShiftSchedule(fx.ScheduleOptions).NumTimesteps, v.Steps);
            Assert.IsEmpty(v.Metrics, "no GT, no NIQE parameters, no learned weights");
            var r = v.Validate(1, teacher.state_dict());
            Assert.AreEqual(1, r.Images);
            var grid = ImageIO.Read(r.GridPath!);
            Assert.AreEqual(2 * 128 + 4, grid.Width, "LR | SR without GT");
            Assert.AreEqual("iteration,images,seconds", File.ReadAllLines(r.CsvPath)[0]);
        }
        finally { Directory.Delete(root, true); }
    }
}
