using System.Globalization;
using HfDiff.MLNet.Common;
using HfDiff.MLNet.Imaging;
using HfDiff.Torch.Archs.ResShift;
using HfDiff.Torch.Data.SrPairs;
using HfDiff.Torch.Imaging;
using HfDiff.Torch.Pipelines;
using HfDiff.Torch.Training;
using HfDiff.Torch.Training.Core;
using HfDiff.Torch.Training.HfDiff;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Runtime;
using Microsoft.ML.Transforms.Image;
using static TorchSharp.torch;

namespace HfDiff.MLNet.SuperResolution;

/// <summary>
/// An SR trainer as an ML.NET estimator: <c>Fit</c> synthesizes (LR, HR) pairs from the HR image column with the
/// Real-ESRGAN degradation, runs the training loop of <c>hfdiff train</c> (checkpoints, exact resume, CSV log in the run
/// folder; one progress line per <c>hfdiff.log_every</c> iterations to MLContext's log) and returns the SR transform of the
/// trained EMA weights: a <see cref="SuperResolveTransformer"/> that loads them from the run folder and saves and loads as
/// one made by <c>mlContext.Transforms.SuperResolve</c>. A cancelled MLContext (ML.NET's internal <c>CancelExecution</c>,
/// which AutoML calls when its time budget ends) stops the run after the current iteration with
/// <see cref="OperationCanceledException"/>; the last checkpoint stays for <see cref="SuperResolutionTrainerOptions.Resume"/>.
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
        // Every file the YAML names is found before any row is read or network built.
        var setup = SrTrainingSetup.Load(configPath, _student, _options.ModelDirectory, train =>
        {
            if (_options.Iterations is long iterations) train = train with { Iterations = iterations };
            return _losses is { } terms ? train with { HfDiff = train.HfDiff with { Terms = terms } } : train;
        });
        var train = setup.Train;
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

            var emaPath = Train(ch, setup, device, output, files, cancelled, out var unetOptions, out var vqOptions);

            var resolver = _options.Resolver with
            {
                Config = configCopy, UnetCheckpoint = emaPath, AutoencoderCheckpoint = setup.AutoencoderPath,
                ModelDirectory = _options.Resolver.ModelDirectory ?? _options.ModelDirectory,
                Unet = unetOptions, Autoencoder = vqOptions,
                Steps = _options.Resolver.Steps ?? (_student ? 1 : null),
            };
            return new SuperResolveEstimator(_context.Transforms, new SuperResolveOptions
            {
                InputColumnName = SrInputColumn, OutputColumnName = _options.OutputColumnName, Resolver = resolver, MaxPixels = _options.MaxPixels,
                Device = TransformDevice(_options, device),
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

    /// <summary>
    /// <see cref="SuperResolveOptions.Device"/> of the returned transform: null when <see cref="SuperResolutionTrainerOptions.Resolver"/>
    /// names a device (it then applies) or when <see cref="SuperResolutionTrainerOptions.Device"/> is unset (MLContext decides,
    /// as it did for training); else the training device, so an explicit <c>"cpu"</c> holds for the transform too.
    /// </summary>
    internal static string? TransformDevice(SuperResolutionTrainerOptions options, string trainingDevice) =>
        options.Resolver.Device is not null || options.Device is null ? null : trainingDevice;

    /// <summary>The networks, objective and loop of <c>hfdiff train</c> (<see cref="SrTrainingSetup"/>); returns the EMA state-dict file.</summary>
    string Train(IChannel ch, SrTrainingSetup setup, string device, string output, IReadOnlyList<string> files, Func<bool> cancelled,
                 out UNetModelSwinOptions unetOptions, out VQModelOptions vqOptions)
    {
        var train = setup.Train;
        // Missing HF-Diff weight files fail here, before any training.
        using var networks = setup.Build(device, nameof(SuperResolutionTrainerOptions.Device));
        (unetOptions, vqOptions) = (networks.Model.Options, networks.Autoencoder.Options);
        if (networks.ExtraTermsLine() is { } extra) ch.Info(MessageSensitivity.None, extra);

        using var loop = new TrainingLoop(networks.Objective, setup.LoopOptions(output, _options.Resume, device));
        var loaderOptions = setup.LoaderOptions(new HrImageFolderOptions { ReadOptions = ImageReadOptions.Default with { MaxPixels = _options.MaxPixels } });
        var images = HrImageFolder.FromFiles(files, loaderOptions.Folder);
        images.ImageSkipped += s => ch.Warning(MessageSensitivity.None, $"HR image skipped: '{s.Path}': {s.Reason}");
        using var loader = new SrPairLoader(images, loaderOptions);
        using var source = new SrPairBatchSource(loader);
        using var cancel = new CancellationTokenSource();
        var progress = new TrainingProgress(train.LogEvery);
        var result = loop.Run(source, new TrainingRunHooks
        {
            Cancellation = cancel.Token,
            OnIteration = r =>
            {
                bool first = progress.StartedAfter is null;
                var line = progress.Line(r);
                if (first && progress.StartedAfter > 0) ch.Info(MessageSensitivity.None, $"resumed after iteration {progress.StartedAfter}");
                if (line is not null) ch.Info(MessageSensitivity.None, line);
                if (cancelled()) cancel.Cancel();
            },
        });
        if (!result.Completed)
            throw new OperationCanceledException(
                $"Training was canceled (MLContext.CancelExecution) after iteration {result.Iterations}; last checkpoint: {result.LastCheckpointPath ?? "(none)"}. Set Resume to continue it.");
        ch.Info(MessageSensitivity.None, $"log: {result.LogPath}; ema: {result.EmaPath}");
        return result.EmaPath!;
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
    /// row index, and an 8-bit PNG holds exactly the MLImage's RGB (u8/255 either way, alpha dropped); the IDataView is read once.
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
                Tensor image;
                try { image = MLImageTensor.ToTensor(value); }
                catch (ArgumentException e) { throw new InvalidOperationException($"The HR image column '{column.Name}', row {row}: {e.Message}", e); }
                using (image) ImageIO.WritePng(image, path);
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
