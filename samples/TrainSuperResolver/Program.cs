// Sample: train an SR model inside ML.NET — the ResShift teacher, then the one-step HF-Diff student distilled from it —
// and use, save and reload the student's SR transform like any fitted ML.NET transform.
// Run from the repository root:  dotnet run --project samples/TrainSuperResolver [CONFIG.yaml [HR_DIR]]
// Without CONFIG it runs a tiny setting anywhere in seconds (networks of 32 channels with random starting weights, two
// iterations each): it shows the pipeline, not a useful model. With an official student YAML (e.g. SinSR's, whose
// checkpoints are in the model directory) it trains the HF-Diff student on HR_DIR for real.
using HfDiff.MLNet;
using HfDiff.MLNet.SuperResolution;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Runtime;

var hrDir = args.Length > 1 ? args[1] : Path.Combine("data", "samples", "gt");
var ml = new MLContext(seed: 0);
ml.Log += (_, e) => { if (e.Kind == ChannelMessageKind.Info && e.Source.Contains("Trainer")) Console.WriteLine(e.RawMessage); };   // progress lines
var hr = ml.Data.LoadFromEnumerable(Directory.GetFiles(hrDir, "*.png").Order(StringComparer.Ordinal).Select(p => new HrImage { Hr = p }).ToList());
// An LR column to super-resolve: Real-ESRGAN-degraded 128² crops of the HR images (training reads only "Hr").
var data = ml.Transforms.Degrade("Lr", "Hr", "Gt", gtSize: 128, seed: 0).Fit(hr).Transform(hr);
var work = Path.Combine(ml.TempFilePath, $"hfdiff-train-sample-{Guid.NewGuid():N}");

string config;
if (args.Length > 0) config = args[0];
else
{
    // The tiny setting: first the teacher, from scratch; its EMA weights then start and teach the student.
    var teacherRun = Path.Combine(work, "teacher");
    ml.SuperResolution.Trainers.ResShiftTeacher(new ResShiftTrainerOptions
    {
        ConfigPath = TinySetting.Write(work, "teacher.yaml", teacher: null), HrImageColumnName = "Hr", OutputFolder = teacherRun,
    }).Fit(data);
    config = TinySetting.Write(work, "student.yaml", teacher: Path.Combine(teacherRun, "ema_model_final.pth"));
}

// The HF-Diff student: SinSR distillation plus the extra terms of hfdiff.losses (or Losses = "hf", "hf+dm", ...).
var trainer = ml.SuperResolution.Trainers.HfDiff(new HfDiffTrainerOptions
{
    ConfigPath = config, HrImageColumnName = "Hr", InputColumnName = "Lr", OutputColumnName = "Sr", OutputFolder = Path.Combine(work, "student"),
});
var model = trainer.Fit(data);
var sr = model.Transform(data).GetColumn<MLImage>("Sr").ToList();
foreach (var image in sr) Console.WriteLine($"SR {image.Width}x{image.Height}");

// The trained transform is an ordinary ML.NET model: save, reload, same pixels (it loads the EMA weights of the run folder).
var path = Path.Combine(work, "student_sr.zip");
ml.Model.Save(model, null, path);
var again = new MLContext().Model.Load(path, out _).Transform(data).GetColumn<MLImage>("Sr").ToList();
Console.WriteLine($"reloaded model gives the same pixels: {sr.Zip(again).All(p => p.First.Pixels.SequenceEqual(p.Second.Pixels))}");
Console.WriteLine($"run folders: {work}");

sealed class HrImage
{
    [LoadColumn(0)] public string Hr { get; set; } = "";
}
