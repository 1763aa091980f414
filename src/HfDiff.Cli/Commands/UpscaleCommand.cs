using System.CommandLine;
using HfDiff.Torch.Imaging;
using HfDiff.Torch.Pipelines;

namespace HfDiff.Cli.Commands;

/// <summary>
/// <c>hfdiff upscale INPUT... --out DIR</c>: super-resolves images with the official SinSR/ResShift checkpoints or any
/// compatible UNet checkpoint (e.g. a student trained by <c>hfdiff train student</c> with HF-Diff's terms).
/// Outputs keep the input's name as PNG and are written atomically; existing outputs are refused unless --overwrite
/// (or skipped with --skip-existing, which resumes a killed run). One bad input is reported and the rest continue.
/// </summary>
internal static class UpscaleCommand
{
    public static Command Create()
    {
        var inputs = new Argument<string[]>("INPUT") { Description = "Image files or folders of images.", Arity = ArgumentArity.OneOrMore };
        var output = new Option<string>("--out") { Description = "Output folder.", Required = true };
        var unet = new Option<string?>("--unet") { Description = "UNet checkpoint (.pth/.safetensors); default: the model directory's SinSR_v1.pth or resshift_realsrx4_s15_v1.pth." };
        var autoencoder = new Option<string?>("--autoencoder") { Description = "VQGAN f4 checkpoint; default: the model directory's autoencoder_vq_f4.pth." };
        var config = new Option<string>("--config")
        {
            Description = "auto (official SinSR when its files are in the model directory, else the bundled hfdiff-tiny), sinsr, resshift, hfdiff-tiny, or an official YAML config file.",
            DefaultValueFactory = _ => SuperResolverOptions.AutoConfig,
        };
        var steps = new Option<int?>("--steps") { Description = "1 (one-step) or T (15, the ResShift chain); default by model." };
        var tile = new Option<int?>("--tile") { Description = "LR tile size for large images (official 512; bundled model 64)." };
        var stride = new Option<int?>("--tile-stride") { Description = "LR tile stride (official 448); default 7/8 of --tile, the official overlap ratio." };
        var seed = new Option<long>("--seed") { Description = "Noise seed (official 12345).", DefaultValueFactory = _ => 12345 };
        var precision = new Option<string>("--precision") { Description = "fp32 (default), bf16 (CPUs with AVX512_BF16/AMX), fp16 (CUDA) or auto.", DefaultValueFactory = _ => "fp32" };
        var device = new Option<string>("--device") { Description = "Torch device (cpu, cuda:0).", DefaultValueFactory = _ => "cpu" };
        var batchSize = new Option<int>("--batch-size")
        {
            Description = "Same-size images (or tiles of one large image) per network call; outputs are unchanged, memory grows about linearly.",
            DefaultValueFactory = _ => 1,
        };
        var channelsLast = new Option<bool>("--channels-last")
        {
            Description = "Run the VQGAN on channels-last maps (faster on some CPUs, see hfdiff bench sr --layout; outputs differ by float rounding).",
        };
        var overwrite = new Option<bool>("--overwrite") { Description = "Replace existing outputs." };
        var skipExisting = new Option<bool>("--skip-existing") { Description = "Leave existing outputs and continue (resume a killed run)." };
        var models = CliRunner.ModelsOption();
        var cmd = new Command("upscale", "Super-resolve images (×4) with a one-step or multi-step latent diffusion model.")
            { inputs, output, unet, autoencoder, config, steps, tile, stride, seed, precision, device, batchSize, channelsLast, overwrite, skipExisting, models };
        cmd.SetAction(parse =>
        {
            if (parse.GetValue(overwrite) && parse.GetValue(skipExisting)) throw new CliUsageException("--overwrite and --skip-existing exclude each other.");
            if (parse.GetValue(batchSize) < 1) throw new CliUsageException($"--batch-size must be >= 1; got {parse.GetValue(batchSize)}.");
            var defaults = new SuperResolverOptions();
            var options = defaults with
            {
                Config = parse.GetValue(config)!,
                UnetCheckpoint = parse.GetValue(unet),
                AutoencoderCheckpoint = parse.GetValue(autoencoder),
                ModelDirectory = parse.GetValue(models),
                Steps = parse.GetValue(steps),
                Seed = parse.GetValue(seed),
                Precision = ParsePrecision(parse.GetValue(precision)!),
                Device = parse.GetValue(device)!,
                TileSize = parse.GetValue(tile),
                TileStride = parse.GetValue(stride),
                BatchSize = parse.GetValue(batchSize),
                ChannelsLastAutoencoder = parse.GetValue(channelsLast),
            };
            var files = parse.GetValue(inputs)!.SelectMany(ImageFiles.List).ToList();
            if (files.Count == 0) throw new CliUsageException("No input images.");
            var outDir = parse.GetValue(output)!;
            var duplicates = files.GroupBy(f => Path.GetFileNameWithoutExtension(f), StringComparer.Ordinal).Where(g => g.Count() > 1).Select(g => g.Key).ToList();
            if (duplicates.Count > 0) throw new CliUsageException($"Several inputs would write the same output name: {string.Join(", ", duplicates.Take(10))}.");
            return Run(files, outDir, options, parse.GetValue(overwrite), parse.GetValue(skipExisting));
        });
        return cmd;
    }

    static int Run(List<string> files, string outDir, SuperResolverOptions options, bool overwrite, bool skipExisting)
    {
        using var resolver = new SuperResolver(options);
        // Created only now: a run that fails on its options or checkpoints leaves no empty output folder behind.
        bool created = !Directory.Exists(outDir);
        Directory.CreateDirectory(outDir);
        Console.WriteLine(resolver.ModelNotice is { } notice ? $"model: {notice}" : $"model: {resolver.ModelName} ({resolver.UnetCheckpointPath})");
        Console.WriteLine($"{files.Count} image(s), {resolver.Steps} step(s) on {resolver.Device}, {InferencePrecisions.Name(resolver.Precision)} ({resolver.PrecisionReason}); output in {outDir}");
        int failed = 0, skipped = 0;
        using var progress = Progress.Create(files.Count, "upscaling");
        // Up to BatchSize consecutive inputs are read, grouped by size and super-resolved together (outputs as one by one).
        foreach (var chunk in files.Chunk(options.BatchSize))
        {
            var ready = new List<(string File, string Target, TorchSharp.torch.Tensor Lr)>();
            foreach (var file in chunk)
            {
                var target = Path.Combine(outDir, Path.GetFileNameWithoutExtension(file) + ".png");
                try
                {
                    if (File.Exists(target) && !overwrite)
                    {
                        if (skipExisting) { skipped++; progress.Tick(); continue; }
                        throw new IOException($"'{target}' exists; pass --overwrite to replace it or --skip-existing to keep it.");
                    }
                    ready.Add((file, target, ImageIO.ReadTensor(file)));
                }
                catch (Exception e) when (CliRunner.IsUserError(e))
                {
                    failed++;
                    progress.Log($"error: {file}: {CliRunner.Message(e)}");
                    progress.Tick();
                }
            }
            foreach (var group in ready.GroupBy(r => (r.Lr.shape[2], r.Lr.shape[3])))
            {
                try { Resolve(group.ToList()); }
                finally { foreach (var item in group) item.Lr.Dispose(); }
            }
        }

        void Resolve(List<(string File, string Target, TorchSharp.torch.Tensor Lr)> items)
        {
            TorchSharp.torch.Tensor sr;
            try
            {
                using var batch = items.Count == 1 ? items[0].Lr.alias() : TorchSharp.torch.cat(items.Select(i => i.Lr).ToArray(), 0);
                sr = resolver.SuperResolveBatch(batch);
            }
            catch (Exception e) when (CliRunner.IsUserError(e))
            {
                if (items.Count > 1) { foreach (var item in items) Resolve([item]); return; }   // find the bad one, keep the rest
                failed++;
                progress.Log($"error: {items[0].File}: {CliRunner.Message(e)}");
                progress.Tick();
                return;
            }
            using (sr)
                for (int i = 0; i < items.Count; i++)
                {
                    try
                    {
                        using var one = sr[i..(i + 1)];
                        ImageIO.WritePng(one, items[i].Target);
                        progress.Log($"{Path.GetFileName(items[i].File)} -> {Path.GetFileName(items[i].Target)}: {resolver.LastTimings}" +
                            (items.Count > 1 ? $" (batch of {items.Count})" : ""), Console.Out);
                    }
                    catch (Exception e) when (CliRunner.IsUserError(e))
                    {
                        failed++;
                        progress.Log($"error: {items[i].File}: {CliRunner.Message(e)}");
                    }
                    finally { progress.Tick(); }
                }
        }
        progress.Dispose();
        if (created && !Directory.EnumerateFileSystemEntries(outDir).Any()) Directory.Delete(outDir);
        Console.WriteLine($"done: {files.Count - failed - skipped} written, {skipped} skipped, {failed} failed.");
        return failed > 0 ? 1 : 0;
    }

    /// <summary>--precision text → option; a wrong value is a one-line usage error naming the flag.</summary>
    public static InferencePrecision ParsePrecision(string text)
    {
        try { return InferencePrecisions.Parse(text); }
        catch (ArgumentException e) { throw new CliUsageException("--" + e.Message); }
    }
}
