using System.CommandLine;
using System.Globalization;
using HfDiff.Torch.Data.Classification;
using HfDiff.Torch.Training.InnPretraining;

namespace HfDiff.Cli.Commands;

/// <summary>
/// <c>hfdiff pretrain-inn --train DIR --val DIR --out DIR</c>: pretrains HF-Diff's INN feature extractor as an image
/// classifier (the paper's settings by default). Checkpoints are written atomically to --out/checkpoints (with train_log.csv in --out); rerunning the same
/// command resumes from the newest one.
/// </summary>
internal static class PretrainInnCommand
{
    public static Command Create()
    {
        var train = new Option<string>("--train") { Description = "Training folder: one subfolder per class (ImageNet layout).", Required = true };
        var val = new Option<string?>("--val") { Description = "Validation folder with the same class subfolders (top-1 after each epoch)." };
        var output = new Option<string>("--out") { Description = "Output folder for checkpoints and the final weights.", Required = true };
        var epochs = new Option<int>("--epochs") { Description = "Epochs (paper: 20).", DefaultValueFactory = _ => 20 };
        var batch = new Option<int>("--batch-size") { Description = "Batch size (paper: 32).", DefaultValueFactory = _ => 32 };
        var lr = new Option<double>("--lr") { Description = "Adam learning rate (paper: 5e-4), ×0.95 every 5000 iterations.", DefaultValueFactory = _ => 5e-4 };
        var crop = new Option<int>("--crop") { Description = "Training crop size.", DefaultValueFactory = _ => 224 };
        var channels = new Option<int>("--channels") { Description = "INN feature channels N (paper: 64).", DefaultValueFactory = _ => 64 };
        var nodes = new Option<int>("--nodes") { Description = "INN nodes K (paper: 3).", DefaultValueFactory = _ => 3 };
        var maxIter = new Option<long?>("--max-iterations") { Description = "Stop after this many iterations (for short runs)." };
        var checkpointEvery = new Option<int>("--checkpoint-every") { Description = "Checkpoint interval in iterations.", DefaultValueFactory = _ => 1000 };
        var seed = new Option<int>("--seed") { Description = "Seed of shuffling, augmentation and initialisation.", DefaultValueFactory = _ => 0 };
        var device = new Option<string>("--device") { Description = "Torch device (cpu, cuda:0).", DefaultValueFactory = _ => "cpu" };
        var cmd = new Command("pretrain-inn", "Pretrain the INN high-frequency feature extractor as a classifier (resumable).")
            { train, val, output, epochs, batch, lr, crop, channels, nodes, maxIter, checkpointEvery, seed, device };
        cmd.SetAction(parse =>
        {
            var trainDir = parse.GetValue(train)!;
            int classes = new ImageClassificationFolder(trainDir).Classes.Count;
            var defaults = new InnPretrainingOptions();
            var options = defaults with
            {
                TrainFolder = trainDir,
                ValFolder = parse.GetValue(val),
                OutputFolder = parse.GetValue(output)!,
                Epochs = parse.GetValue(epochs),
                BatchSize = parse.GetValue(batch),
                LearningRate = parse.GetValue(lr),
                MaxIterations = parse.GetValue(maxIter),
                CheckpointEvery = parse.GetValue(checkpointEvery),
                Seed = parse.GetValue(seed),
                Device = parse.GetValue(device)!,
                Transform = defaults.Transform with { CropSize = parse.GetValue(crop) },
                Extractor = defaults.Extractor with { NumClasses = classes, Channels = parse.GetValue(channels), NumNodes = parse.GetValue(nodes) },
            };
            using var trainer = new InnPretrainer(options);
            Progress? progress = null;
            var result = trainer.Train(new SynchronousProgress(p =>
            {
                if (progress is null)
                {
                    progress = Progress.Create(p.TotalIterations, "iterations");
                    if (p.Iteration > 0) progress.StartAt(p.Iteration);
                }
                if (p.Stage == InnPretrainingStage.Step)
                {
                    progress.Suffix = string.Create(CultureInfo.InvariantCulture, $"epoch {p.Epoch}/{p.Epochs} loss {p.Loss:F4} lr {p.LearningRate:G3} {p.ImagesPerSecond:F1} img/s");
                    progress.SetDone(p.Iteration);
                }
                else progress.Log(Describe(p), Console.Out);
            }));
            progress?.Dispose();
            Console.WriteLine($"weights: {result.WeightsPath}");
            if (result.Skipped.Count > 0) Console.Error.WriteLine($"{result.Skipped.Count} unreadable image(s) skipped.");
            // A run that stopped at --max-iterations as asked is a success; otherwise every epoch must have run.
            bool reachedLimit = options.MaxIterations is long limit && result.Iterations >= limit;
            return result.Completed || reachedLimit ? 0 : 1;
        });
        return cmd;
    }

    static string Describe(InnPretrainingProgress p) => p.Stage switch
    {
        InnPretrainingStage.Validated => string.Create(CultureInfo.InvariantCulture, $"epoch {p.Epoch}/{p.Epochs}: val top-1 {p.ValidationTop1:P2}"),
        InnPretrainingStage.CheckpointSaved => $"checkpoint: {p.CheckpointPath}",
        InnPretrainingStage.Resumed => $"resumed at iteration {p.Iteration}",
        _ => string.Create(CultureInfo.InvariantCulture, $"iter {p.Iteration}/{p.TotalIterations} epoch {p.Epoch}/{p.Epochs} loss {p.Loss:F4} lr {p.LearningRate:G3} {p.ImagesPerSecond:F1} img/s"),
    };

    /// <summary>Reports on the caller's thread (Progress&lt;T&gt; would post to the thread pool and reorder lines).</summary>
    sealed class SynchronousProgress(Action<InnPretrainingProgress> report) : IProgress<InnPretrainingProgress>
    {
        public void Report(InnPretrainingProgress value) => report(value);
    }
}
