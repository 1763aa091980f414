using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using HfDiff.Torch;
using HfDiff.Torch.Archs.ResShift;
using HfDiff.Torch.Assets;
using HfDiff.Torch.Configs;
using HfDiff.Torch.Data.SrPairs;
using HfDiff.Torch.Losses.Distillation;
using HfDiff.Torch.Schedules;
using HfDiff.Torch.Training;
using HfDiff.Torch.Training.Core;
using HfDiff.Torch.Training.HfDiff;
using HfDiff.Torch.Training.Validation;
using HfDiff.Torch.Weights;
using HfDiff.Reports;
using TorchSharp;

namespace HfDiff.Cli.Commands;

/// <summary>
/// <c>hfdiff train student|teacher --config FILE.yaml --data HR_DIR --out RUN_DIR</c>: trains the SinSR one-step student
/// (distilled from the frozen teacher) or the ResShift teacher on pairs synthesized from an HR folder, with the official
/// YAML's <c>model</c>, <c>autoencoder</c>, <c>diffusion</c> and <c>train</c> settings plus an optional <c>hfdiff:</c> section.
/// </summary>
internal static class TrainCommand
{
    public static Command Create()
    {
        var kind = new Argument<string>("kind") { Description = "student (SinSR distillation) or teacher (ResShift)." };
        var config = new Option<string>("--config") { Description = "Official ResShift/SinSR YAML (model, autoencoder, diffusion, train; optional hfdiff section).", Required = true };
        var data = new Option<string>("--data") { Description = "Folder of HR images (pairs are synthesized with the Real-ESRGAN degradation).", Required = true };
        var output = new Option<string>("--out") { Description = "Run folder: checkpoints, train_log.csv, final state dicts.", Required = true };
        var resume = new Option<bool>("--resume") { Description = "Continue from the newest checkpoint in --out (settings must match)." };
        var models = CliRunner.ModelsOption();
        var device = new Option<string>("--device") { Description = "Torch device (cpu, cuda:0).", DefaultValueFactory = _ => "cpu" };
        var val = new Option<string?>("--val")
        {
            Description = "Validate the EMA model every val_freq iterations and at the end on LR_DIR[:GT_DIR] (validation.csv, validation/iter_*.png).",
        };
        var losses = new Option<string?>("--losses")
        {
            Description = "Student extra terms, overriding hfdiff.losses: sinsr, hf, dm, vgg, lpips, hf+dm (HF-Diff Table 4) or a '+'-joined set.",
        };
        var cmd = new Command("train", "Train the SinSR student (with HF-Diff's terms) or the ResShift teacher (resumable).")
            { kind, config, data, output, resume, models, device, val, losses };
        cmd.Subcommands.Add(TrainAutoencoderCommand.Create());   // hfdiff train autoencoder ...
        cmd.SetAction(parse => Run(parse.GetValue(kind)!, parse.GetValue(config)!, parse.GetValue(data)!, parse.GetValue(output)!,
                                   parse.GetValue(resume), parse.GetValue(models), parse.GetValue(device)!, parse.GetValue(val), parse.GetValue(losses)));
        return cmd;
    }

    /// <summary><c>LR_DIR[:GT_DIR]</c>.</summary>
    internal static (string Lr, string? Gt) ParseVal(string value)
    {
        var parts = value.Split(':', 2);
        if (parts[0].Length == 0) throw new CliUsageException($"--val must be LR_DIR or LR_DIR:GT_DIR; got '{value}'.");
        return (parts[0], parts.Length > 1 && parts[1].Length > 0 ? parts[1] : null);
    }

    static int Run(string kind, string configPath, string dataDir, string outDir, bool resume, string? modelsDir, string device, string? valArg, string? lossesArg)
    {
        bool student = kind switch
        {
            "student" => true,
            "teacher" => false,
            _ => throw new CliUsageException($"kind must be 'student' or 'teacher'; got '{kind}'."),
        };
        var sr = SrConfigReader.Load(configPath);
        var train = TrainingConfig.Load(configPath);
        if (lossesArg is not null)
        {
            try { train = train with { HfDiff = train.HfDiff with { Terms = HfDiffAblation.Parse(lossesArg) } }; }
            catch (FormatException e) { throw new CliUsageException($"--losses: {e.Message}"); }
        }
        if (!student && train.HfDiff.Terms != HfDiffLossTerms.None)
            throw new CliUsageException($"The HF-Diff terms ({HfDiffAblation.Format(train.HfDiff.Terms)}) train the one-step student; remove hfdiff.losses / --losses for the teacher.");
        var models = ModelDirectory.Resolve(modelsDir);
        var ae = sr.Autoencoder ?? throw new CliUsageException($"'{configPath}' has no autoencoder section; the trainers work in the VQ latent space.");
        string File(string? p, string what) => Locate(p, what, configPath, models);

        var schedule = new ResShiftSchedule(sr.Diffusion);
        using var vq = VQModelTorch.FromKwargs(ae.Params);
        Checkpoint.LoadInto(vq, File(ae.CkptPath, "autoencoder.ckpt_path"));
        using var model = UNetModelSwin.FromKwargs(sr.Model.Params);
        if (sr.Model.CkptPath is not null) Checkpoint.LoadInto(model, File(sr.Model.CkptPath, "model.ckpt_path"));
        UNetModelSwin? teacher = null;
        SinSrStudentTrainer? studentTrainer = null;
        TrainingValidator? validator = null;
        try
        {
            ITrainingObjective objective;
            if (student)
            {
                var teacherPath = sr.Model.Settings.TryGetValue("teacher_ckpt_path", out var tp) ? tp as string : null;
                teacher = UNetModelSwin.FromKwargs(sr.Model.Params);
                Checkpoint.LoadInto(teacher, File(teacherPath, "model.teacher_ckpt_path"));
                // The loop moves only the trained network: the frozen ones (and the HF-Diff networks, created on the
                // student's device) go to the training device here.
                var dev = TorchDevices.Parse(device, "--device");
                model.to(dev);
                teacher.to(dev);
                vq.to(dev);
                // Missing HF-Diff weight files fail here, before any training.
                objective = studentTrainer = SinSrStudentTrainer.Create(model, teacher, vq, schedule, train.ToStudentOptions(models.Root));
                if (studentTrainer.Options.ExtraTerms.Count > 0)
                    Console.WriteLine($"extra terms ({HfDiffAblation.Format(train.HfDiff.Terms)}): "
                        + string.Join(", ", studentTrainer.Options.ExtraTerms.Select(e => string.Create(CultureInfo.InvariantCulture, $"{e.Name} x {e.Weight:G4}"))));
            }
            else
            {
                var dev = TorchDevices.Parse(device, "--device");
                model.to(dev);
                vq.to(dev);
                objective = ResShiftTeacherTrainer.Create(model, vq, schedule);
            }

            if (valArg is not null)
            {
                var (lrDir, gtDir) = ParseVal(valArg);
                validator = new TrainingValidator(new TrainingValidationOptions
                {
                    LrFolder = lrDir, GtFolder = gtDir, ValFreq = train.ValFreq, MaxImages = train.ValImages, ModelDirectory = models.Root, Seed = train.Seed,
                }, model.Options, vq, sr.Diffusion, oneStep: student, outDir, device);
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"validation: {validator.ImageCount} image(s), {validator.Steps} step(s), every {train.ValFreq} iterations; metrics {string.Join(", ", validator.Metrics)}"));
                foreach (var (metric, reason) in validator.Skipped) Console.WriteLine($"  {metric} skipped: {reason}");
            }

            var loopOptions = train.ToLoopOptions(student, outDir, resume, device);
            using var loop = new TrainingLoop(objective, loopOptions);
            using var loader = new SrPairLoader(dataDir, new SrPairLoaderOptions
            {
                GtSize = train.GtSize, Scale = sr.Diffusion.Sf, BatchSize = train.Batch, Seed = train.Seed,
                // ResShift/SinSR data settings: rescale_gt (largest square crop, resize to gt_size), use_sharp False.
                CropMode = SrCropMode.ResShiftRescale, LqFromSharpenedGt = false,
            });
            using var source = new SrPairBatchSource(loader);
            var clock = Stopwatch.StartNew();
            long first = -1;
            var result = loop.Run(source, new TrainingRunHooks
            {
                OnIteration = r =>
                {
                    if (first < 0) first = r.Iteration - 1;
                    if (r.Iteration % Math.Max(1, train.LogEvery) == 0 || r.Iteration == r.TotalIterations || r.Iteration == first + 1 || r.Skipped || r.CheckpointPath is not null)
                        Console.WriteLine(ProgressLine(r, r.Iteration - first, clock.Elapsed.TotalSeconds));
                    if (r.CheckpointPath is not null)
                        TrainingPlots.WriteLossCurves(Path.Combine(outDir, TrainingLoop.LogFileName), Path.Combine(outDir, TrainingPlots.LossCurvesFileName));
                    if (validator?.OnIteration(r) is { } v)
                    {
                        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                            $"val iter {v.Iteration}: {string.Join("  ", v.Means.Select(m => $"{m.Key} {m.Value:G5}"))}  ({v.Seconds:F1} s)"));
                        foreach (var e in v.Errors.Take(5)) Console.WriteLine($"  {e}");
                    }
                },
            });
            Console.WriteLine($"log: {result.LogPath}");
            if (result.ModelPath is not null) Console.WriteLine($"model: {result.ModelPath}\nema: {result.EmaPath}");
            return result.Completed ? 0 : 1;
        }
        finally
        {
            validator?.Dispose();
            studentTrainer?.Dispose();
            teacher?.Dispose();
        }
    }

    /// <summary>One plain line (works when redirected): n/N, it/s, ETA, loss, lr, grad norm.</summary>
    static string ProgressLine(TrainingIterationReport r, long done, double seconds)
    {
        double ips = seconds > 0 ? done / seconds : 0;
        var eta = ips > 0 ? TimeSpan.FromSeconds((r.TotalIterations - r.Iteration) / ips) : TimeSpan.Zero;
        var losses = r.Micro.SelectMany(m => m.Terms.TryGetValue("loss", out var v) ? v : []).ToArray();
        string loss = losses.Length == 0 ? "-" : losses.Average().ToString("F5", CultureInfo.InvariantCulture);
        var line = string.Create(CultureInfo.InvariantCulture,
            $"iter {r.Iteration}/{r.TotalIterations}  {ips:F2} it/s  ETA {(int)eta.TotalHours:D2}:{eta.Minutes:D2}:{eta.Seconds:D2}  loss {loss}  lr {r.LearningRate:G4}  grad {r.GradNorm:G4}");
        if (r.Skipped) line += $"  SKIPPED ({r.SkipReason})";
        if (r.CheckpointPath is not null) line += $"  checkpoint {Path.GetFileName(r.CheckpointPath)}";
        return line;
    }

    /// <summary>A checkpoint path from the YAML: as given, relative to the YAML's folder, or its file name in the model directory.</summary>
    static string Locate(string? path, string key, string configPath, ModelDirectory models)
    {
        if (string.IsNullOrWhiteSpace(path)) throw new CliUsageException($"'{configPath}' does not set {key}.");
        var tried = new List<string> { Path.GetFullPath(path) };
        if (!Path.IsPathRooted(path)) tried.Add(Path.GetFullPath(Path.Combine(Path.GetDirectoryName(Path.GetFullPath(configPath))!, path)));
        tried.Add(models.PathOf(Path.GetFileName(path)));
        return tried.FirstOrDefault(System.IO.File.Exists)
               ?? throw new FileNotFoundException($"{key} '{path}' not found; tried: {string.Join(", ", tried.Distinct())}.");
    }
}
