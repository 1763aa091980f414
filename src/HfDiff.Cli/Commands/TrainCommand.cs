using System.CommandLine;
using System.Globalization;
using HfDiff.Torch.Data.SrPairs;
using HfDiff.Torch.Training;
using HfDiff.Torch.Training.Core;
using HfDiff.Torch.Training.HfDiff;
using HfDiff.Torch.Training.Validation;
using HfDiff.Reports;

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
        var setup = SrTrainingSetup.Load(configPath, student, modelsDir, train =>
        {
            if (lossesArg is not null)
            {
                try { train = train with { HfDiff = train.HfDiff with { Terms = HfDiffAblation.Parse(lossesArg) } }; }
                catch (FormatException e) { throw new CliUsageException($"--losses: {e.Message}"); }
            }
            if (!student && train.HfDiff.Terms != HfDiffLossTerms.None)
                throw new CliUsageException($"The HF-Diff terms ({HfDiffAblation.Format(train.HfDiff.Terms)}) train the one-step student; remove hfdiff.losses / --losses for the teacher.");
            return train;
        });
        var train = setup.Train;
        // Missing HF-Diff weight files fail here, before any training.
        using var networks = setup.Build(device, "--device");
        if (networks.ExtraTermsLine() is { } extra) Console.WriteLine(extra);
        TrainingValidator? validator = null;
        try
        {
            if (valArg is not null)
            {
                var (lrDir, gtDir) = ParseVal(valArg);
                validator = new TrainingValidator(new TrainingValidationOptions
                {
                    LrFolder = lrDir, GtFolder = gtDir, ValFreq = train.ValFreq, MaxImages = train.ValImages, ModelDirectory = setup.Models.Root, Seed = train.Seed,
                }, networks.Model.Options, networks.Autoencoder, setup.Sr.Diffusion, oneStep: student, outDir, device);
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"validation: {validator.ImageCount} image(s), {validator.Steps} step(s), every {train.ValFreq} iterations; metrics {string.Join(", ", validator.Metrics)}"));
                foreach (var (metric, reason) in validator.Skipped) Console.WriteLine($"  {metric} skipped: {reason}");
            }

            using var loop = new TrainingLoop(networks.Objective, setup.LoopOptions(outDir, resume, device));
            using var loader = new SrPairLoader(dataDir, setup.LoaderOptions());
            using var source = new SrPairBatchSource(loader);
            var progress = new TrainingProgress(train.LogEvery);
            var result = loop.Run(source, new TrainingRunHooks
            {
                OnIteration = r =>
                {
                    if (progress.Line(r) is { } line) Console.WriteLine(line);
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
        }
    }
}
