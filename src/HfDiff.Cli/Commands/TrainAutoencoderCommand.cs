using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using HfDiff.Torch.Archs.ResShift;
using HfDiff.Torch.Assets;
using HfDiff.Torch.Data.SrPairs;
using HfDiff.Torch.Metrics.Lpips;
using HfDiff.Torch.Training.Core;
using HfDiff.Torch.Training.VqAutoencoder;

namespace HfDiff.Cli.Commands;

/// <summary>
/// <c>hfdiff train autoencoder --config FILE|tiny|official --data HR_DIR --out RUN_DIR [--val GT_DIR] [--resume]</c>:
/// trains the VQGAN f4 first stage (<see cref="VqAutoencoderTrainer"/>) on random HR crops. The result
/// (<c>model_final.pth</c>, <c>ema_model_final.pth</c>) has the keys of <c>autoencoder_vq_f4.pth</c>.
/// </summary>
internal static class TrainAutoencoderCommand
{
    public const string ValidationFolder = "val";
    public const string ValidationLog = "val_log.csv";

    public static Command Create()
    {
        var config = new Option<string>("--config") { Description = "tiny, official, or a YAML file (preset:, autoencoder:, train:, loss: sections).", Required = true };
        var data = new Option<string>("--data") { Description = "Folder of HR images (random crops).", Required = true };
        var output = new Option<string>("--out") { Description = "Run folder: checkpoints, train_log.csv, val/, final state dicts.", Required = true };
        var val = new Option<string?>("--val") { Description = "Folder of GT images: reconstruction PSNR/SSIM (Y of YCbCr) and a PNG grid every val_freq iterations." };
        var resume = new Option<bool>("--resume") { Description = "Continue from the newest checkpoint in --out (settings must match)." };
        var models = CliRunner.ModelsOption();
        var device = new Option<string>("--device") { Description = "Torch device (cpu, cuda:0).", DefaultValueFactory = _ => "cpu" };
        var cmd = new Command("autoencoder", "Train the VQGAN f4 autoencoder (taming's VQGAN loss; resumable).") { config, data, output, val, resume, models, device };
        cmd.SetAction(parse => Run(parse.GetValue(config)!, parse.GetValue(data)!, parse.GetValue(output)!, parse.GetValue(val),
                                   parse.GetValue(resume), parse.GetValue(models), parse.GetValue(device)!));
        return cmd;
    }

    static int Run(string configArg, string dataDir, string outDir, string? valDir, bool resume, string? modelsDir, string device)
    {
        VqAutoencoderConfig cfg;
        try { cfg = VqAutoencoderConfig.Load(configArg); }
        catch (Exception e) when (e is ArgumentException or InvalidDataException or FileNotFoundException) { throw new CliUsageException(e.Message); }
        var models = ModelDirectory.Resolve(modelsDir);

        LpipsMetric? lpips = null;
        if (cfg.Perceptual != "none" && cfg.Loss.PerceptualWeight > 0)
        {
            var net = cfg.Perceptual == "alex" ? LpipsNet.Alex : LpipsNet.Vgg;
            var (trunk, lin) = net == LpipsNet.Alex ? (KnownAssets.TorchvisionAlexNet, KnownAssets.LpipsAlexLinear) : (KnownAssets.TorchvisionVgg16, KnownAssets.LpipsVggLinear);
            if (models.Find(trunk) is not null && models.Find(lin) is not null) lpips = LpipsMetric.FromModelDirectory(net, models);
            else Console.WriteLine($"perceptual: LPIPS-{cfg.Perceptual} weights ({trunk.FileName}, {lin.FileName}) not in '{models.Root}'; training without the perceptual term.");
        }
        try
        {
            TorchSharp.torch.manual_seed(cfg.Seed);   // the initial weights of a fresh run
            using var model = new VQModelTorch(cfg.Model);
            using var trainer = new VqAutoencoderTrainer(model, cfg.Loss,
                lpips is null ? null : VqAutoencoderTrainer.LpipsPerceptual(lpips), lpips is null ? null : [lpips]);
            using var loop = new TrainingLoop(trainer, cfg.ToLoopOptions(outDir, resume, device));
            var folder = new HrImageFolder(dataDir);
            folder.ImageSkipped += s => Console.Error.WriteLine($"skipped {s.Path}: {s.Reason}");
            var source = new HrCropBatchSource(folder, cfg.Batch, cfg.CropSize, cfg.Seed);
            var validation = valDir is null ? null : new VqAutoencoderValidation(valDir);
            Console.WriteLine($"autoencoder: preset {cfg.Preset}, {model.parameters().Sum(p => p.numel()):N0} parameters, n_embed {cfg.Model.NEmbed}, " +
                              $"perceptual {(lpips is null ? "none" : cfg.Perceptual)}, discriminator {(cfg.Loss.Discriminator is null ? "none" : $"from iteration {cfg.Loss.DiscStart + 1}")}");
            var clock = Stopwatch.StartNew();
            long first = -1;
            var result = loop.Run(source, new TrainingRunHooks
            {
                OnIteration = r =>
                {
                    if (first < 0) first = r.Iteration - 1;
                    if (r.Iteration % cfg.LogEvery == 0 || r.Iteration == r.TotalIterations || r.Iteration == first + 1 || r.Skipped || r.CheckpointPath is not null)
                        Console.WriteLine(ProgressLine(r, r.Iteration - first, clock.Elapsed.TotalSeconds));
                    if (validation is not null && (r.Iteration % cfg.ValFreq == 0 || r.Iteration == r.TotalIterations))
                    {
                        var grid = Path.Combine(outDir, ValidationFolder, $"iter{r.Iteration.ToString("D9", CultureInfo.InvariantCulture)}.png");
                        var v = validation.Run(model, grid);
                        VqAutoencoderValidation.AppendLog(Path.Combine(outDir, ValidationLog), r.Iteration, v);
                        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"val iter {r.Iteration}: PSNR-Y {v.PsnrY:F3} dB  SSIM-Y {v.SsimY:F4}  ({v.Images.Count} images)  grid {grid}"));
                    }
                },
            });
            Console.WriteLine($"log: {result.LogPath}");
            if (result.ModelPath is not null) Console.WriteLine($"model: {result.ModelPath}\nema: {result.EmaPath}");
            return result.Completed ? 0 : 1;
        }
        finally { lpips?.Dispose(); }
    }

    static string ProgressLine(TrainingIterationReport r, long done, double seconds)
    {
        double ips = seconds > 0 ? done / seconds : 0;
        var eta = ips > 0 ? TimeSpan.FromSeconds((r.TotalIterations - r.Iteration) / ips) : TimeSpan.Zero;
        string Term(string name)
        {
            var v = r.Micro.SelectMany(m => m.Terms.TryGetValue(name, out var x) ? x : []).Concat(r.AuxiliaryTerms.TryGetValue(name, out var a) ? a : []).ToArray();
            return v.Length == 0 ? "-" : v.Average().ToString("G4", CultureInfo.InvariantCulture);
        }
        var line = string.Create(CultureInfo.InvariantCulture,
            $"iter {r.Iteration}/{r.TotalIterations}  {ips:F2} it/s  ETA {(int)eta.TotalHours:D2}:{eta.Minutes:D2}:{eta.Seconds:D2}  loss {Term("loss")}  l1 {Term("l1_loss")}  perplexity {Term("perplexity")}  dead {Term("dead_codes")}  lr {r.LearningRate:G4}");
        if (r.AuxiliaryTerms.ContainsKey("disc_loss")) line += $"  d_loss {Term("disc_loss")}  g_loss {Term("g_loss")}";
        if (r.Skipped) line += $"  SKIPPED ({r.SkipReason})";
        if (r.CheckpointPath is not null) line += $"  checkpoint {Path.GetFileName(r.CheckpointPath)}";
        return line;
    }
}
