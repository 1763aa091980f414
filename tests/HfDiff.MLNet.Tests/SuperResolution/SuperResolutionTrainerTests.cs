using HfDiff.MLNet.Imaging;
using HfDiff.MLNet.SuperResolution;
using HfDiff.Tests.Common;
using HfDiff.Torch.Archs.ResShift;
using HfDiff.Torch.Imaging;
using HfDiff.Torch.Pipelines;
using HfDiff.Torch.Training.Core;
using Microsoft.ML;
using Microsoft.ML.Data;
using TorchSharp;

namespace HfDiff.MLNet.Tests.SuperResolution;

/// <summary>
/// <c>mlContext.SuperResolution.Trainers</c>: two-iteration runs on the reduced networks of fixtures/resshift (settings of
/// fixtures/trainer, <see cref="FixtureTrainingYaml"/>) on two random HR images, and the refusals of bad input.
/// </summary>
[TestClass]
public class SuperResolutionTrainerTests
{
    public sealed class Row
    {
        public string Hr { get; set; } = "";
        public string Lr { get; set; } = "";
    }

    static int _threads;

    [ClassInitialize]
    public static void SingleThread(TestContext _) { _threads = torch.get_num_threads(); torch.set_num_threads(1); }

    [ClassCleanup]
    public static void RestoreThreads() => torch.set_num_threads(_threads);

    static string TempDir(string prefix)
    {
        var d = Path.Combine(Path.GetTempPath(), $"{prefix}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(d);
        return d;
    }

    /// <summary>Two random 160² HR images and two small LR images (24×20, 16×16) in <paramref name="dir"/>.</summary>
    static List<Row> Rows(string dir)
    {
        var rnd = new Random(5);
        var rows = new List<Row>();
        foreach (var (w, h) in new[] { (24, 20), (16, 16) })
        {
            var hr = new byte[160 * 160 * 3];
            rnd.NextBytes(hr);
            var lr = new byte[w * h * 3];
            rnd.NextBytes(lr);
            var row = new Row { Hr = Path.Combine(dir, $"hr{rows.Count}.png"), Lr = Path.Combine(dir, $"lr{rows.Count}.png") };
            ImageIO.WritePng(hr, 160, 160, row.Hr);
            ImageIO.WritePng(lr, w, h, row.Lr);
            rows.Add(row);
        }
        return rows;
    }

    static byte[] Pixels(MLImage image) => image.Pixels.ToArray();

    static List<byte[]> SrPixels(ITransformer model, IDataView data) =>
        model.Transform(data).GetColumn<MLImage>("Sr").Select(Pixels).ToList();

    /// <summary>The pixels <see cref="SuperResolver"/> gives for an LR file with the given UNet weights (the transform's settings otherwise).</summary>
    static byte[] Direct(SuperResolverOptions options, string unetCheckpoint, string lrFile)
    {
        using var resolver = new SuperResolver(options with { UnetCheckpoint = unetCheckpoint });
        using var lr = ImageIO.ReadTensor(lrFile);
        using var sr = resolver.SuperResolve(lr);
        return Pixels(MLImageTensor.FromTensor(sr));
    }

    [TestMethod, TestCategory("Training")]
    public void Fit_StudentTwoIterationsOnPathColumn_SrOfEmaWeightsLoggedAndSurvivesSaveLoad()
    {
        var fixture = TestPaths.Fixture("resshift");   // skips (inconclusive) before anything is made when the fixtures are absent
        string work = TempDir("hfdiff-mltrain-student"), run = Path.Combine(work, "run");
        var config = FixtureTrainingYaml.Write(work, 2, student: true);
        var rows = Rows(work);
        var ml = new MLContext(seed: 1);
        var log = new List<string>();
        ml.Log += (_, e) => { lock (log) log.Add(e.Message); };
        var data = ml.Data.LoadFromEnumerable(rows);

        var trainer = ml.SuperResolution.Trainers.HfDiff(new HfDiffTrainerOptions
        {
            ConfigPath = config, HrImageColumnName = "Hr", InputColumnName = "Lr", OutputColumnName = "Sr", OutputFolder = run,
            Resolver = new SuperResolverOptions { Seed = 7 },
        });
        var model = trainer.Fit(data);

        Assert.IsTrue(log.Any(m => m.Contains("iter 1/2", StringComparison.Ordinal)), "progress of iteration 1 in MLContext's log");
        Assert.IsTrue(log.Any(m => m.Contains("iter 2/2", StringComparison.Ordinal) && m.Contains("loss ", StringComparison.Ordinal)), "progress of iteration 2 in MLContext's log");
        Assert.HasCount(3, File.ReadAllLines(Path.Combine(run, TrainingLoop.LogFileName)), "header + 2 rows");
        var ema = Path.Combine(run, TrainingLoop.EmaFileName);
        Assert.IsTrue(File.Exists(ema));

        var outputs = model.Transform(data).GetColumn<MLImage>("Sr").ToList();
        for (int i = 0; i < rows.Count; i++)
        {
            using var lr = MLImage.CreateFromFile(rows[i].Lr);
            Assert.AreEqual(4 * lr.Width, outputs[i].Width, $"row {i}: width ×4");
            Assert.AreEqual(4 * lr.Height, outputs[i].Height, $"row {i}: height ×4");
        }

        // The transform is the one-step SR of the EMA file in the run folder, not of the starting weights (row 0).
        var cfg = TestPaths.ReadConfig(TestPaths.Fixture("trainer"));
        var direct = new SuperResolverOptions
        {
            Config = Path.Combine(run, SuperResolutionTrainer.ConfigCopyFileName), Steps = 1, Seed = 7,
            Unet = UNetModelSwinOptions.FromJson(cfg.GetProperty("unet_kwargs").GetProperty("student")),
            Autoencoder = VQModelOptions.FromJson(cfg.GetProperty("autoencoder_kwargs")),
            AutoencoderCheckpoint = Path.Combine(fixture, "autoencoder_vq_f4.pth"),
        };
        var pixels = outputs.Select(Pixels).ToList();
        CollectionAssert.AreEqual(Direct(direct, ema, rows[0].Lr), pixels[0], "SR of the EMA weights");
        CollectionAssert.AreNotEqual(Direct(direct, Path.Combine(fixture, "sinsr_unet_B.pth"), rows[0].Lr), pixels[0], "two iterations changed the SR output");

        var path = Path.Combine(work, "model.zip");
        ml.Model.Save(model, data.Schema, path);
        var reloaded = SrPixels(new MLContext(seed: 9).Model.Load(path, out _), data);
        for (int i = 0; i < rows.Count; i++) CollectionAssert.AreEqual(pixels[i], reloaded[i], $"reloaded row {i}");
        Directory.Delete(work, true);
    }

    /// <summary>
    /// The teacher on an MLImage column (LoadImages) trains on exactly the pixels of the files: its log equals the run on
    /// the path column; the transform (the diffusion.steps chain) gives ×4 images, and a resumed run continues the log.
    /// </summary>
    [TestMethod, TestCategory("Training")]
    public void Fit_TeacherOnImageColumn_SameRunAsPathColumnAndResumes()
    {
        TestPaths.Fixture("resshift");   // skips (inconclusive) before anything is made when the fixtures are absent
        string work = TempDir("hfdiff-mltrain-teacher");
        var config = FixtureTrainingYaml.Write(work, 2);
        var rows = Rows(work);
        var ml = new MLContext(seed: 1);
        var paths = ml.Data.LoadFromEnumerable(rows);
        var images = ml.Transforms.LoadImages("HrImage", null, "Hr").Fit(paths).Transform(paths);
        ResShiftTrainerOptions Options(string run, string column) => new()
        {
            ConfigPath = config, HrImageColumnName = column, InputColumnName = "Lr", OutputColumnName = "Sr", OutputFolder = run,
        };

        string runImages = Path.Combine(work, "images"), runPaths = Path.Combine(work, "paths");
        var model = ml.SuperResolution.Trainers.ResShiftTeacher(Options(runImages, "HrImage")).Fit(images);
        ml.SuperResolution.Trainers.ResShiftTeacher(Options(runPaths, "Hr")).Fit(paths);

        // Every column but the last (the iteration's wall time) must be equal.
        string[] Losses(string run) => File.ReadAllLines(Path.Combine(run, TrainingLoop.LogFileName)).Select(l => l[..l.LastIndexOf(',')]).ToArray();
        StringAssert.EndsWith(File.ReadLines(Path.Combine(runImages, TrainingLoop.LogFileName)).First(), ",seconds");
        CollectionAssert.AreEqual(Losses(runPaths), Losses(runImages), "MLImage rows train on the same pixels as their files");

        var sr = model.Transform(images).GetColumn<MLImage>("Sr").ToList();
        using (var lr0 = MLImage.CreateFromFile(rows[0].Lr))
        {
            Assert.AreEqual(4 * lr0.Width, sr[0].Width);
            Assert.AreEqual(4 * lr0.Height, sr[0].Height);
        }

        var again = Options(runImages, "HrImage");
        var refused = Assert.ThrowsExactly<TrainingResumeException>(() => ml.SuperResolution.Trainers.ResShiftTeacher(again).Fit(images));
        StringAssert.Contains(refused.Message, "already holds checkpoints");
        again.Resume = true;
        again.Iterations = 3;
        var log = new List<string>();
        ml.Log += (_, e) => { lock (log) log.Add(e.Message); };
        ml.SuperResolution.Trainers.ResShiftTeacher(again).Fit(images);
        Assert.IsTrue(log.Any(m => m.Contains("iter 3/3", StringComparison.Ordinal)));
        Assert.IsFalse(log.Any(m => m.Contains("iter 1/3", StringComparison.Ordinal)), "a resumed run continues after the checkpoint");
        Assert.HasCount(4, File.ReadAllLines(Path.Combine(runImages, TrainingLoop.LogFileName)), "header + 3 rows");
        Directory.Delete(work, true);
    }

    /// <summary>
    /// A training YAML of the tiny networks (<see cref="TinySrConfig"/>) whose checkpoint files exist but are empty: every
    /// refusal below happens before a network is built. <paramref name="aeCkpt"/> overrides the autoencoder's file.
    /// </summary>
    static string TinyConfig(string dir, string? aeCkpt = null, string hfdiff = "")
    {
        var unet = Path.Combine(dir, "unet.pth");
        File.WriteAllBytes(unet, []);
        var ae = aeCkpt ?? Path.Combine(dir, "vq.pth");
        if (aeCkpt is null) File.WriteAllBytes(ae, []);
        var lines = TinySrConfig.Yaml.Split('\n').ToList();
        int model = lines.FindIndex(l => l.TrimStart().StartsWith("ckpt_path:", StringComparison.Ordinal));
        lines[model] = $"  ckpt_path: {unet}\n  teacher_ckpt_path: {unet}";
        int vq = lines.FindLastIndex(l => l.TrimStart().StartsWith("ckpt_path:", StringComparison.Ordinal));
        lines[vq] = $"  ckpt_path: {ae}";
        var yaml = string.Join('\n', lines) + $"\ntrain:\n  batch: [2, 1]\n  iterations: 1\nhfdiff:\n  gt_size: 128\n{hfdiff}";
        var path = Path.Combine(dir, "tiny.yaml");
        File.WriteAllText(path, yaml);
        return path;
    }

    static T FitFails<T>(IEstimator<ITransformer> trainer, IDataView data) where T : Exception => Assert.ThrowsExactly<T>(() => trainer.Fit(data));

    [TestMethod]
    public void Fit_MissingOrWrongHrColumn_ThrowsNamingColumn()
    {
        string work = TempDir("hfdiff-mltrain-columns");
        var config = TinyConfig(work);
        var ml = new MLContext();
        var data = ml.Data.LoadFromEnumerable(new[] { new Row { Hr = "a.png", Lr = "b.png" } });
        var numbers = ml.Data.LoadFromEnumerable(new[] { new NumberRow { Hr = 1f } });

        var missing = FitFails<ArgumentOutOfRangeException>(ml.SuperResolution.Trainers.HfDiff(config, hrImageColumnName: "Nope"), data);
        StringAssert.Contains(missing.Message, "Could not find input column 'Nope'");
        var wrong = FitFails<ArgumentOutOfRangeException>(ml.SuperResolution.Trainers.ResShiftTeacher(config, hrImageColumnName: "Hr"), numbers);
        StringAssert.Contains(wrong.Message, "Schema mismatch for input column 'Hr'");
        var srInput = FitFails<ArgumentOutOfRangeException>(
            ml.SuperResolution.Trainers.HfDiff(new HfDiffTrainerOptions { ConfigPath = config, HrImageColumnName = "Hr", InputColumnName = "LowRes" }), data);
        StringAssert.Contains(srInput.Message, "Could not find input column 'LowRes'");
        var schema = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() =>
            ml.SuperResolution.Trainers.HfDiff(config, hrImageColumnName: "Nope").GetOutputSchema(Shape(data.Schema)));
        StringAssert.Contains(schema.Message, "Could not find input column 'Nope'");
        var shape = ml.SuperResolution.Trainers.HfDiff(config, hrImageColumnName: "Hr", outputColumnName: "Sr").GetOutputSchema(Shape(data.Schema));
        Assert.IsTrue(shape.Any(c => c.Name == "Sr" && c.ItemType is Microsoft.ML.Transforms.Image.ImageDataViewType));
        Directory.Delete(work, true);
    }

    public sealed class NumberRow { public float Hr { get; set; } }

    /// <summary><c>SchemaShape.Create(schema)</c>, internal to ML.NET (its own tests reach it as a friend).</summary>
    static SchemaShape Shape(DataViewSchema schema) =>
        (SchemaShape)typeof(SchemaShape).GetMethod("Create", System.Reflection.BindingFlags.Static | System.Reflection.BindingFlags.NonPublic, [typeof(DataViewSchema)])!
            .Invoke(null, [schema])!;

    [TestMethod]
    public void Fit_EmptyTooFewOrMissingRows_ThrowsNamingColumnAndRow()
    {
        string work = TempDir("hfdiff-mltrain-rows");
        var config = TinyConfig(work);
        var hr = Path.Combine(work, "hr.png");
        ImageIO.WritePng(new byte[8 * 8 * 3], 8, 8, hr);
        var ml = new MLContext { TempFilePath = work };
        var trainer = ml.SuperResolution.Trainers.HfDiff(config, hrImageColumnName: "Hr");
        IDataView Data(params string[] paths) => ml.Data.LoadFromEnumerable(paths.Select(p => new Row { Hr = p, Lr = p }).ToList());

        var empty = FitFails<InvalidOperationException>(trainer, Data());
        StringAssert.Contains(empty.Message, "The HR image column 'Hr' has no rows");
        var one = FitFails<InvalidOperationException>(trainer, Data(hr));
        StringAssert.Contains(one.Message, "has 1 row(s); training needs at least train.batch = 2");
        var gone = Path.Combine(work, "gone.png");
        var missing = FitFails<FileNotFoundException>(trainer, Data(hr, gone));
        StringAssert.Contains(missing.Message, $"The HR image column 'Hr', row 1: file '{gone}' does not exist.");
        var blank = FitFails<InvalidOperationException>(trainer, Data(hr, ""));
        StringAssert.Contains(blank.Message, "empty path in row 1");
        // MLImage rows: an empty image column is refused the same way.
        var images = ml.Transforms.LoadImages("Image", null, "Hr").Fit(Data()).Transform(Data());
        var emptyImages = FitFails<InvalidOperationException>(ml.SuperResolution.Trainers.ResShiftTeacher(config), images);
        StringAssert.Contains(emptyImages.Message, "The HR image column 'Image' has no rows");
        Assert.IsFalse(Directory.EnumerateFileSystemEntries(work).Any(e => Path.GetFileName(e).StartsWith("hfdiff-train", StringComparison.Ordinal)),
            "the temporary folder of the MLImage rows is deleted, and no run folder is made");
        Directory.Delete(work, true);
    }

    [TestMethod]
    public void Fit_MissingConfigOrCheckpoint_ThrowsNamingKeyAndFile()
    {
        string work = TempDir("hfdiff-mltrain-files");
        var hr = Path.Combine(work, "hr.png");
        ImageIO.WritePng(new byte[8 * 8 * 3], 8, 8, hr);
        var ml = new MLContext();
        var data = ml.Data.LoadFromEnumerable(new[] { new Row { Hr = hr, Lr = hr }, new Row { Hr = hr, Lr = hr } });
        var gone = Path.Combine(work, "no_such_vq.pth");

        var ae = FitFails<FileNotFoundException>(ml.SuperResolution.Trainers.HfDiff(TinyConfig(work, aeCkpt: gone), "Hr"), data);
        StringAssert.Contains(ae.Message, $"autoencoder.ckpt_path '{gone}'");
        var yaml = Path.Combine(work, "no_such.yaml");
        var config = FitFails<FileNotFoundException>(ml.SuperResolution.Trainers.ResShiftTeacher(yaml, "Hr"), data);
        StringAssert.Contains(config.Message, $"Config '{yaml}' (ConfigPath) does not exist.");
        Directory.Delete(work, true);
    }

    [TestMethod]
    public void Trainers_BadOptionsOrTeacherWithHfDiffTerms_Refused()
    {
        string work = TempDir("hfdiff-mltrain-options");
        var ml = new MLContext();
        var losses = Assert.ThrowsExactly<ArgumentException>(() => ml.SuperResolution.Trainers.HfDiff(TinyConfig(work), "Hr", losses: "hf+nope"));
        StringAssert.Contains(losses.Message, "Unknown loss term 'nope'");
        Assert.ThrowsExactly<ArgumentException>(() => ml.SuperResolution.Trainers.ResShiftTeacher(new ResShiftTrainerOptions()));
        var iterations = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() =>
            ml.SuperResolution.Trainers.ResShiftTeacher(new ResShiftTrainerOptions { ConfigPath = "x.yaml", Iterations = 0 }));
        StringAssert.Contains(iterations.Message, "Iterations must be >= 1");

        var hr = Path.Combine(work, "hr.png");
        ImageIO.WritePng(new byte[8 * 8 * 3], 8, 8, hr);
        var data = ml.Data.LoadFromEnumerable(new[] { new Row { Hr = hr, Lr = hr }, new Row { Hr = hr, Lr = hr } });
        var teacher = FitFails<InvalidDataException>(ml.SuperResolution.Trainers.ResShiftTeacher(TinyConfig(work, hfdiff: "  losses: hf\n"), "Hr"), data);
        StringAssert.Contains(teacher.Message, "train the one-step student");
        Directory.Delete(work, true);
    }

    [TestMethod]
    public void Fit_CanceledContext_ThrowsOperationCanceledBeforeTraining()
    {
        string work = TempDir("hfdiff-mltrain-cancel");
        var hr = Path.Combine(work, "hr.png");
        ImageIO.WritePng(new byte[8 * 8 * 3], 8, 8, hr);
        var ml = new MLContext();
        var data = ml.Data.LoadFromEnumerable(new[] { new Row { Hr = hr, Lr = hr }, new Row { Hr = hr, Lr = hr } });
        var trainer = ml.SuperResolution.Trainers.HfDiff(new HfDiffTrainerOptions { ConfigPath = TinyConfig(work), HrImageColumnName = "Hr", OutputFolder = Path.Combine(work, "run") });
        // MLContext.CancelExecution() is internal to ML.NET (AutoML calls it when its time budget ends).
        typeof(MLContext).GetMethod("CancelExecution", System.Reflection.BindingFlags.Instance | System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Public)!
            .Invoke(ml, null);
        Assert.ThrowsExactly<OperationCanceledException>(() => trainer.Fit(data));
        Assert.IsFalse(Directory.Exists(Path.Combine(work, "run")), "nothing trained");
        Directory.Delete(work, true);
    }
}
