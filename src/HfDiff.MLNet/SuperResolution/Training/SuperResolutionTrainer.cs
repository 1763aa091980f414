using System.Diagnostics;
using System.Globalization;
using HfDiff.MLNet.Common;
using HfDiff.MLNet.Imaging;
using HfDiff.Torch;
using HfDiff.Torch.Archs.ResShift;
using HfDiff.Torch.Assets;
using HfDiff.Torch.Configs;
using HfDiff.Torch.Data.SrPairs;
using HfDiff.Torch.Imaging;
using HfDiff.Torch.Pipelines;
using HfDiff.Torch.Schedules;
using HfDiff.Torch.Training;
using HfDiff.Torch.Training.Core;
using HfDiff.Torch.Training.HfDiff;
using HfDiff.Torch.Weights;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Runtime;
using Microsoft.ML.Transforms.Image;
using TorchSharp;

namespace HfDiff.MLNet.SuperResolution;

/// <summary>
/// An SR trainer as an ML.NET estimator: <c>Fit</c> synthesizes (LR, HR) pairs from the HR image column with the
/// Real-ESRGAN degradation, runs the training loop of <c>hfdiff train</c> (checkpoints, exact resume, CSV log in the run
/// folder; one progress line per <c>hfdiff.log_every</c> iterations to MLContext's log) and returns the SR transform of the
/// trained EMA weights: a <see cref="SuperResolveTransformer"/> that loads them from the run folder and saves and loads as
/// one made by <c>mlContext.Transforms.SuperResolve</c>. <c>mlContext.CancelExecution()</c> stops the run after the current
/// iteration (<see cref="OperationCanceledException"/>; the last checkpoint stays for <see cref="SuperResolutionTrainerOptions.Resume"/>).
/// </summary>
public abstract class SuperResolutionTrainer : IEstimator<SuperResolveTransformer>
{
    /// <summary>The copy of the YAML in the run folder that the returned transform reads (<c>diffusion</c>).</summary>
    public const string ConfigCopyFileName = "train_config.yaml";

    readonly MLContext _context;
    readonly IHost _host;
    readonly SuperResolutionTrainerOptions _options;
    readonly bool _student;
    readonly HfDiffLossTerms? _losses;

    private protected SuperResolutionTrainer(MLContext context, SuperResolutionTrainerOptions options, bool student, string name)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentException.ThrowIfNullOrWhiteSpace(options.HrImageColumnName, nameof(options.HrImageColumnName));
        ArgumentException.ThrowIfNullOrWhiteSpace(options.OutputColumnName, nameof(options.OutputColumnName));
        ArgumentException.ThrowIfNullOrWhiteSpace(options.ConfigPath, nameof(options.ConfigPath));
        if (options.InputColumnName is { } input) ArgumentException.ThrowIfNullOrWhiteSpace(input, nameof(options.InputColumnName));
        ArgumentNullException.ThrowIfNull(options.Resolver, nameof(options.Resolver));
        if (options.OutputFolder is { } folder) ArgumentException.ThrowIfNullOrWhiteSpace(folder, nameof(options.OutputFolder));
        if (options.MaxPixels <= 0) throw new ArgumentOutOfRangeException(nameof(options), $"MaxPixels must be > 0; got {options.MaxPixels}.");
        if (options.Iterations is < 1) throw new ArgumentOutOfRangeException(nameof(options), $"Iterations must be >= 1 or null; got {options.Iterations}.");
        if (options.Device is not null) DeviceSelection.Resolve(options.Device, context);   // an unknown device fails here
        if (options is HfDiffTrainerOptions { Losses: { } losses })
        {
            try { _losses = HfDiffAblation.Parse(losses); }
            catch (FormatException e) { throw new ArgumentException($"Losses: {e.Message}", nameof(options), e); }
        }
        _context = context;
        _host = ((IHostEnvironment)context).Register(name);
        _options = options;
        _student = student;
        AnyImageAttribute.EnsureRegistered();
    }

    string SrInputColumn => _options.InputColumnName ?? _options.HrImageColumnName;

    public SchemaShape GetOutputSchema(SchemaShape inputSchema)
    {
        SchemaChecks.ImageColumn(inputSchema, _options.HrImageColumnName);
        SchemaChecks.ImageColumn(inputSchema, SrInputColumn);
        return MLNetInternals.WithScalarColumn(inputSchema, _options.OutputColumnName, new ImageDataViewType());
    }

    /// <summary>Trains on the rows of <see cref="SuperResolutionTrainerOptions.HrImageColumnName"/> and returns the SR transform of the EMA weights.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A column is missing or not an image/path column.</exception>
    /// <exception cref="InvalidOperationException">Fewer HR rows than <c>train.batch</c>, or a missing value.</exception>
    /// <exception cref="FileNotFoundException">The YAML, a checkpoint it names, or an HR image path does not exist.</exception>
    public SuperResolveTransformer Fit(IDataView input)
    {
        ArgumentNullException.ThrowIfNull(input);
        var hrKind = SchemaChecks.ImageColumn(input.Schema, _options.HrImageColumnName);
        SchemaChecks.ImageColumn(input.Schema, SrInputColumn);
        var configPath = _options.ConfigPath;
        if (!System.IO.File.Exists(configPath)) throw new FileNotFoundException($"Config '{configPath}' (ConfigPath) does not exist.", configPath);
        var sr = SrConfigReader.Load(configPath);
        var train = TrainingConfig.Load(configPath);
        if (_options.Iterations is long iterations) train = train with { Iterations = iterations };
        if (_losses is { } terms) train = train with { HfDiff = train.HfDiff with { Terms = terms } };
        if (!_student && train.HfDiff.Terms != HfDiffLossTerms.None)
            throw new InvalidDataException(
                $"'{configPath}': the HF-Diff terms ({HfDiffAblation.Format(train.HfDiff.Terms)}) train the one-step student; remove hfdiff.losses for the ResShift teacher.");
        var models = ModelDirectory.Resolve(_options.ModelDirectory);
        var ae = sr.Autoencoder ?? throw new InvalidDataException($"'{configPath}' has no autoencoder section; the trainers work in the VQ latent space.");
        string File(string? p, string key) => Locate(p, key, configPath, models);
        // Every named file is found before any row is read or network built.
        var aePath = File(ae.CkptPath, "autoencoder.ckpt_path");
        var modelPath = sr.Model.CkptPath is null ? null : File(sr.Model.CkptPath, "model.ckpt_path");
        var teacherPath = _student
            ? File(sr.Model.Settings.TryGetValue("teacher_ckpt_path", out var tp) ? tp as string : null, "model.teacher_ckpt_path")
            : null;
        var device = DeviceSelection.Resolve(_options.Device, _context);
        var cancelled = MLNetInternals.CancellationOf(_host);
        if (cancelled()) throw new OperationCanceledException("Operation was canceled.");

        var output = _options.OutputFolder ?? Path.Combine(_context.TempFilePath, $"hfdiff-train-{Guid.NewGuid():N}");
        string? imageFolder = null;
        using var ch = _host.Start("Training");
        try
        {
            IReadOnlyList<string> files;
            if (hrKind == ImageColumnKind.Path) files = HrPaths(input);
            else (files, imageFolder) = HrImagesToFiles(input);
            if (files.Count < train.Batch)
                throw new InvalidOperationException(files.Count == 0
                    ? $"The HR image column '{_options.HrImageColumnName}' has no rows; training needs at least train.batch = {train.Batch} images."
                    : $"The HR image column '{_options.HrImageColumnName}' has {files.Count} row(s); training needs at least train.batch = {train.Batch} images.");

            Directory.CreateDirectory(output);
            var configCopy = Path.Combine(output, ConfigCopyFileName);
            if (!string.Equals(Path.GetFullPath(configPath), Path.GetFullPath(configCopy), StringComparison.Ordinal))
                System.IO.File.Copy(configPath, configCopy, overwrite: true);
            ch.Info(MessageSensitivity.None, $"{(_student ? "HF-Diff student (SinSR distillation)" : "ResShift teacher")}: {files.Count} HR image(s) from column '{_options.HrImageColumnName}', "
                + string.Create(CultureInfo.InvariantCulture, $"{train.Iterations} iteration(s) of batch {train.Batch} on {device}; run folder {output}"));

            var emaPath = Train(ch, sr, train, models, aePath, modelPath, teacherPath, device, output, files, cancelled,
                                out var unetOptions, out var vqOptions);

            var resolver = _options.Resolver with
            {
                Config = configCopy, UnetCheckpoint = emaPath, AutoencoderCheckpoint = aePath,
                ModelDirectory = _options.Resolver.ModelDirectory ?? _options.ModelDirectory,
                Unet = unetOptions, Autoencoder = vqOptions,
                Steps = _options.Resolver.Steps ?? (_student ? 1 : null),
                Device = _options.Device is not null && _options.Resolver.Device == new SuperResolverOptions().Device ? device : _options.Resolver.Device,
            };
            return new SuperResolveEstimator(_context.Transforms, new SuperResolveOptions
            {
                InputColumnName = SrInputColumn, OutputColumnName = _options.OutputColumnName, Resolver = resolver, MaxPixels = _options.MaxPixels,
            }).Fit(input);
        }
        finally
        {
            if (imageFolder is not null)
            {
                try { Directory.Delete(imageFolder, recursive: true); } catch (IOException) { /* a temp folder left behind is harmless */ }
            }
        }
    }

    /// <summary>The networks, objective and loop of <c>hfdiff train</c> (TrainCommand.Run); returns the EMA state-dict file.</summary>
    string Train(IChannel ch, SrConfig sr, TrainingConfig train, ModelDirectory models, string aePath, string? modelPath, string? teacherPath,
                 string device, string output, IReadOnlyList<string> files, Func<bool> cancelled,
                 out UNetModelSwinOptions unetOptions, out VQModelOptions vqOptions)
    {
        var schedule = new ResShiftSchedule(sr.Diffusion);
        using var vq = VQModelTorch.FromKwargs(sr.Autoencoder!.Params);
        Checkpoint.LoadInto(vq, aePath);
        using var model = UNetModelSwin.FromKwargs(sr.Model.Params);
        if (modelPath is not null) Checkpoint.LoadInto(model, modelPath);
        (unetOptions, vqOptions) = (model.Options, vq.Options);
        UNetModelSwin? teacher = null;
        SinSrStudentTrainer? studentTrainer = null;
        try
        {
            // The loop moves only the trained network: the frozen ones go to the training device here.
            var dev = TorchDevices.Parse(device, nameof(SuperResolutionTrainerOptions.Device));
            model.to(dev);
            vq.to(dev);
            ITrainingObjective objective;
            if (_student)
            {
                teacher = UNetModelSwin.FromKwargs(sr.Model.Params);
                Checkpoint.LoadInto(teacher, teacherPath!);
                teacher.to(dev);
                // Missing HF-Diff weight files fail here, before any training.
                objective = studentTrainer = SinSrStudentTrainer.Create(model, teacher, vq, schedule, train.ToStudentOptions(models.Root));
                if (studentTrainer.Options.ExtraTerms.Count > 0)
                    ch.Info(MessageSensitivity.None, $"extra terms ({HfDiffAblation.Format(train.HfDiff.Terms)}): "
                        + string.Join(", ", studentTrainer.Options.ExtraTerms.Select(e => string.Create(CultureInfo.InvariantCulture, $"{e.Name} x {e.Weight:G4}"))));
            }
            else
            {
                objective = ResShiftTeacherTrainer.Create(model, vq, schedule);
            }

            using var loop = new TrainingLoop(objective, train.ToLoopOptions(_student, output, _options.Resume, device));
            var loaderOptions = new SrPairLoaderOptions
            {
                GtSize = train.GtSize, Scale = sr.Diffusion.Sf, BatchSize = train.Batch, Seed = train.Seed,
                // ResShift/SinSR data settings: rescale_gt (largest square crop, resize to gt_size), use_sharp False.
                CropMode = SrCropMode.ResShiftRescale, LqFromSharpenedGt = false,
                Folder = new HrImageFolderOptions { ReadOptions = ImageReadOptions.Default with { MaxPixels = _options.MaxPixels } },
            };
            var images = HrImageFolder.FromFiles(files, loaderOptions.Folder);
            images.ImageSkipped += s => ch.Warning(MessageSensitivity.None, $"HR image skipped: '{s.Path}': {s.Reason}");
            using var loader = new SrPairLoader(images, loaderOptions);
            using var source = new SrPairBatchSource(loader);
            using var cancel = new CancellationTokenSource();
            var clock = Stopwatch.StartNew();
            long first = -1;
            var result = loop.Run(source, new TrainingRunHooks
            {
                Cancellation = cancel.Token,
                OnIteration = r =>
                {
                    if (first < 0)
                    {
                        first = r.Iteration - 1;
                        if (first > 0) ch.Info(MessageSensitivity.None, $"resumed after iteration {first}");
                    }
                    if (r.Iteration % Math.Max(1, train.LogEvery) == 0 || r.Iteration == r.TotalIterations || r.Iteration == first + 1 || r.Skipped || r.CheckpointPath is not null)
                        ch.Info(MessageSensitivity.None, ProgressLine(r, r.Iteration - first, clock.Elapsed.TotalSeconds));
                    if (cancelled()) cancel.Cancel();
                },
            });
            if (!result.Completed)
                throw new OperationCanceledException(
                    $"Training was canceled (MLContext.CancelExecution) after iteration {result.Iterations}; last checkpoint: {result.LastCheckpointPath ?? "(none)"}. Set Resume to continue it.");
            ch.Info(MessageSensitivity.None, $"log: {result.LogPath}; ema: {result.EmaPath}");
            return result.EmaPath!;
        }
        finally
        {
            studentTrainer?.Dispose();
            teacher?.Dispose();
        }
    }

    /// <summary>The path column's values, each an existing file.</summary>
    List<string> HrPaths(IDataView input)
    {
        var column = input.Schema[_options.HrImageColumnName];
        var files = new List<string>();
        using var cursor = input.GetRowCursor([column]);
        var getter = cursor.GetGetter<ReadOnlyMemory<char>>(column);
        ReadOnlyMemory<char> value = default;
        while (cursor.MoveNext())
        {
            getter(ref value);
            var path = value.ToString();
            if (string.IsNullOrWhiteSpace(path))
                throw new InvalidOperationException($"The HR image column '{column.Name}' has an empty path in row {files.Count}.");
            if (!System.IO.File.Exists(path))
                throw new FileNotFoundException($"The HR image column '{column.Name}', row {files.Count}: file '{path}' does not exist.", path);
            files.Add(path);
        }
        return files;
    }

    /// <summary>
    /// The image column's rows as PNG files in a temporary folder (deleted after <c>Fit</c>). Writing them lets MLImage and
    /// path columns share one data path: the loader reads, augments and degrades files on its prefetch thread, resumes by
    /// row index, and an 8-bit PNG holds exactly the MLImage's RGB (u8/255 either way); the IDataView is read once.
    /// </summary>
    (List<string> Files, string Folder) HrImagesToFiles(IDataView input)
    {
        var column = input.Schema[_options.HrImageColumnName];
        var folder = Path.Combine(_context.TempFilePath, $"hfdiff-train-hr-{Guid.NewGuid():N}");
        Directory.CreateDirectory(folder);
        var files = new List<string>();
        try
        {
            using var cursor = input.GetRowCursor([column]);
            var getter = cursor.GetGetter<MLImage>(column);
            MLImage value = null!;
            while (cursor.MoveNext())
            {
                getter(ref value);
                int row = files.Count;
                if (value is null) throw new InvalidOperationException($"The HR image column '{column.Name}' has a missing image in row {row}.");
                if ((long)value.Width * value.Height > _options.MaxPixels)
                    throw new InvalidOperationException($"The HR image column '{column.Name}', row {row}: {value.Width}×{value.Height} pixels, over MaxPixels = {_options.MaxPixels}.");
                var path = Path.Combine(folder, $"{row:D8}.png");
                var (rgb, w, h) = Rgb24(value, column.Name, row);
                ImageIO.WritePng(rgb, w, h, path);
                files.Add(path);
            }
            return (files, folder);
        }
        catch
        {
            try { Directory.Delete(folder, recursive: true); } catch (IOException) { }
            throw;
        }
    }

    /// <summary>Interleaved 8-bit RGB of an MLImage (alpha dropped, as <see cref="MLImageTensor"/> does).</summary>
    static (byte[] Rgb, int Width, int Height) Rgb24(MLImage image, string column, int row)
    {
        var (r, b) = image.PixelFormat switch
        {
            MLPixelFormat.Bgra32 => (2, 0),
            MLPixelFormat.Rgba32 => (0, 2),
            _ => throw new InvalidOperationException($"The HR image column '{column}', row {row}: unsupported pixel format {image.PixelFormat}; expected Bgra32 or Rgba32."),
        };
        int plane = image.Width * image.Height;
        ReadOnlySpan<byte> px = image.Pixels;
        var rgb = new byte[plane * 3];
        for (int i = 0, j = 0; i < plane; i++, j += 4)
        {
            rgb[3 * i] = px[j + r];
            rgb[3 * i + 1] = px[j + 1];
            rgb[3 * i + 2] = px[j + b];
        }
        return (rgb, image.Width, image.Height);
    }

    /// <summary>One plain line: n/N, it/s, ETA, loss, lr, grad norm (as <c>hfdiff train</c> prints).</summary>
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
        if (string.IsNullOrWhiteSpace(path)) throw new InvalidDataException($"'{configPath}' does not set {key}.");
        var tried = new List<string> { Path.GetFullPath(path) };
        if (!Path.IsPathRooted(path)) tried.Add(Path.GetFullPath(Path.Combine(Path.GetDirectoryName(Path.GetFullPath(configPath))!, path)));
        tried.Add(models.PathOf(Path.GetFileName(path)));
        return tried.FirstOrDefault(System.IO.File.Exists)
               ?? throw new FileNotFoundException($"{key} '{path}' of '{configPath}' not found; tried: {string.Join(", ", tried.Distinct())}.", path);
    }
}

/// <summary>
/// <c>mlContext.SuperResolution.Trainers.HfDiff(options)</c>: trains the one-step SinSR/HF-Diff student and returns its SR transform (one step).
/// </summary>
public sealed class HfDiffTrainer : SuperResolutionTrainer
{
    internal HfDiffTrainer(MLContext context, HfDiffTrainerOptions options) : base(context, options, student: true, nameof(HfDiffTrainer)) { }
}

/// <summary>
/// <c>mlContext.SuperResolution.Trainers.ResShiftTeacher(options)</c>: trains the ResShift teacher and returns its SR transform
/// (the <c>diffusion.steps</c> chain unless <c>Resolver.Steps</c> says otherwise).
/// </summary>
public sealed class ResShiftTrainer : SuperResolutionTrainer
{
    internal ResShiftTrainer(MLContext context, ResShiftTrainerOptions options) : base(context, options, student: false, nameof(ResShiftTrainer)) { }
}
