using System.Globalization;
using HfDiff.Torch.Archs.ResShift;
using HfDiff.Torch.Assets;
using HfDiff.Torch.Configs;
using HfDiff.Torch.Data.SrPairs;
using HfDiff.Torch.Schedules;
using HfDiff.Torch.Training.Core;
using HfDiff.Torch.Training.HfDiff;
using HfDiff.Torch.Weights;
using TorchSharp;

namespace HfDiff.Torch.Training;

/// <summary>
/// An SR training run as <c>hfdiff train</c> and the ML.NET trainers compose it from an official YAML: the networks
/// (<see cref="SrConfigReader"/>), the <c>train:</c> and <c>hfdiff:</c> settings (<see cref="TrainingConfig"/>) and every
/// checkpoint file the YAML names, found by <see cref="Load"/> before anything is built; then the networks and the
/// objective on a device (<see cref="Build"/>) and ResShift/SinSR's pair-loader settings (<see cref="LoaderOptions"/>).
/// </summary>
public sealed class SrTrainingSetup
{
    SrTrainingSetup(string configPath, bool student, SrConfig sr, TrainingConfig train, ModelDirectory models,
                    string autoencoderPath, string? modelPath, string? teacherPath)
    {
        (ConfigPath, Student, Sr, Train, Models) = (configPath, student, sr, train, models);
        (AutoencoderPath, ModelPath, TeacherPath) = (autoencoderPath, modelPath, teacherPath);
    }

    public string ConfigPath { get; }
    /// <summary>True: the SinSR student (distilled from the frozen teacher, plus HF-Diff's terms); false: the ResShift teacher.</summary>
    public bool Student { get; }
    public SrConfig Sr { get; }
    public TrainingConfig Train { get; }
    public ModelDirectory Models { get; }
    /// <summary>The frozen VQGAN's weights (<c>autoencoder.ckpt_path</c>).</summary>
    public string AutoencoderPath { get; }
    /// <summary>The trained UNet's starting weights (<c>model.ckpt_path</c>); null: the teacher starts from scratch.</summary>
    public string? ModelPath { get; }
    /// <summary>The frozen teacher of the student (<c>model.teacher_ckpt_path</c>); null for the teacher.</summary>
    public string? TeacherPath { get; }

    /// <summary>
    /// Reads <paramref name="configPath"/> and finds every checkpoint it names: as written, relative to the YAML's folder,
    /// or as a file name in the model directory.
    /// </summary>
    /// <param name="adjust">Changes to the YAML's training settings (an iterations or losses override), applied before the checks.</param>
    /// <exception cref="InvalidDataException">No autoencoder section, an unset checkpoint key, or HF-Diff terms for the teacher.</exception>
    /// <exception cref="FileNotFoundException">The YAML or a checkpoint it names does not exist (every place tried is named).</exception>
    public static SrTrainingSetup Load(string configPath, bool student, string? modelDirectory = null, Func<TrainingConfig, TrainingConfig>? adjust = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(configPath);
        var sr = SrConfigReader.Load(configPath);
        var train = TrainingConfig.Load(configPath);
        if (adjust is not null) train = adjust(train);
        if (!student && train.HfDiff.Terms != HfDiffLossTerms.None)
            throw new InvalidDataException(
                $"'{configPath}': the HF-Diff terms ({HfDiffAblation.Format(train.HfDiff.Terms)}) train the one-step student; the ResShift teacher takes none (hfdiff.losses).");
        var models = ModelDirectory.Resolve(modelDirectory);
        var ae = sr.Autoencoder ?? throw new InvalidDataException($"'{configPath}' has no autoencoder section; the trainers work in the VQ latent space.");
        string File(string? p, string key) => Locate(p, key, configPath, models);
        var aePath = File(ae.CkptPath, "autoencoder.ckpt_path");
        var modelPath = sr.Model.CkptPath is null ? null : File(sr.Model.CkptPath, "model.ckpt_path");
        var teacherPath = student
            ? File(sr.Model.Settings.TryGetValue("teacher_ckpt_path", out var tp) ? tp as string : null, "model.teacher_ckpt_path")
            : null;
        return new SrTrainingSetup(configPath, student, sr, train, models, aePath, modelPath, teacherPath);
    }

    /// <summary>A checkpoint path from the YAML: as given, relative to the YAML's folder, or its file name in the model directory.</summary>
    static string Locate(string? path, string key, string configPath, ModelDirectory models)
    {
        if (string.IsNullOrWhiteSpace(path)) throw new InvalidDataException($"'{configPath}' does not set {key}.");
        var tried = ConfigPaths.Candidates(path, configPath);
        tried.Add(models.PathOf(Path.GetFileName(path)));
        return tried.FirstOrDefault(System.IO.File.Exists)
               ?? throw new FileNotFoundException($"{key} '{path}' not found; tried: {string.Join(", ", tried.Distinct())}.", path);
    }

    /// <summary>The loop settings of <see cref="Train"/> (SinSR's rate rule for the student, ResShift's for the teacher).</summary>
    public TrainingLoopOptions LoopOptions(string outputFolder, bool resume, string device) => Train.ToLoopOptions(Student, outputFolder, resume, device);

    /// <summary>
    /// The pair loader of ResShift/SinSR's data settings: <c>rescale_gt</c> (largest square crop, resized to
    /// <c>gt_size</c>) and <c>use_sharp: False</c>, batches of <c>train.batch</c> seeded by <c>train.seed</c>.
    /// </summary>
    public SrPairLoaderOptions LoaderOptions(HrImageFolderOptions? folder = null) => new()
    {
        GtSize = Train.GtSize, Scale = Sr.Diffusion.Sf, BatchSize = Train.Batch, Seed = Train.Seed,
        CropMode = Train.CropMode, CropPadSize = Train.CropPadSize, LqFromSharpenedGt = false,
        Folder = folder ?? new HrImageFolderOptions(),
    };

    /// <summary>
    /// Builds the networks, loads the checkpoints, moves the networks to <paramref name="device"/> and creates the objective.
    /// Missing HF-Diff weight files fail here, before any training.
    /// </summary>
    /// <param name="deviceName">How the caller names the device setting in errors (<c>--device</c>, <c>Device</c>).</param>
    public SrTrainingNetworks Build(string device, string deviceName = "device")
    {
        var schedule = new ResShiftSchedule(Sr.Diffusion);
        var networks = new SrTrainingNetworks();
        // As ResShift/SinSR's TrainerBase.setup_seed (torch.manual_seed(train.seed) before build_model): a network that
        // starts from scratch (a teacher without model.ckpt_path) gets the same initial weights in every run.
        torch.manual_seed(Train.Seed);
        try
        {
            networks.Autoencoder = VQModelTorch.FromKwargs(Sr.Autoencoder!.Params);
            Checkpoint.LoadInto(networks.Autoencoder, AutoencoderPath);
            networks.Model = UNetModelSwin.FromKwargs(Sr.Model.Params);
            if (ModelPath is not null) Checkpoint.LoadInto(networks.Model, ModelPath);
            if (Student)
            {
                networks.Teacher = UNetModelSwin.FromKwargs(Sr.Model.Params);
                Checkpoint.LoadInto(networks.Teacher, TeacherPath!);
            }
            // The loop moves only the trained network: the frozen ones (and the HF-Diff networks, created on the
            // student's device) go to the training device here.
            var dev = TorchDevices.Parse(device, deviceName);
            networks.Model.to(dev);
            networks.Teacher?.to(dev);
            networks.Autoencoder.to(dev);
            networks.Objective = Student
                ? networks.StudentTrainer = SinSrStudentTrainer.Create(networks.Model, networks.Teacher!, networks.Autoencoder, schedule, Train.ToStudentOptions(Models.Root))
                : ResShiftTeacherTrainer.Create(networks.Model, networks.Autoencoder, schedule);
            return networks;
        }
        catch
        {
            networks.Dispose();
            throw;
        }
    }
}

/// <summary>The networks and objective of an <see cref="SrTrainingSetup"/>; disposing releases them all.</summary>
public sealed class SrTrainingNetworks : IDisposable
{
    internal SrTrainingNetworks() { }

    /// <summary>The trained UNet.</summary>
    public UNetModelSwin Model { get; internal set; } = null!;
    /// <summary>The frozen VQGAN.</summary>
    public VQModelTorch Autoencoder { get; internal set; } = null!;
    /// <summary>The student's frozen teacher; null for the teacher run.</summary>
    public UNetModelSwin? Teacher { get; internal set; }
    public ITrainingObjective Objective { get; internal set; } = null!;
    /// <summary>The student objective (null for the teacher run).</summary>
    public SinSrStudentTrainer? StudentTrainer { get; internal set; }

    /// <summary>The student's extra terms as one line (<c>extra terms (hf): hf x 0.2</c>); null when there are none.</summary>
    public string? ExtraTermsLine() => StudentTrainer is { Options.ExtraTerms.Count: > 0 } s
        ? $"extra terms ({HfDiffAblation.Format(s.Options.HfDiff.Terms)}): "
          + string.Join(", ", s.Options.ExtraTerms.Select(e => string.Create(CultureInfo.InvariantCulture, $"{e.Name} x {e.Weight:G4}")))
        : null;

    public void Dispose()
    {
        StudentTrainer?.Dispose();
        Teacher?.Dispose();
        Model?.Dispose();
        Autoencoder?.Dispose();
    }
}
