using HfDiff.Torch.Pipelines;

namespace HfDiff.MLNet.SuperResolution;

/// <summary>
/// Settings shared by the SR trainers of <c>mlContext.SuperResolution.Trainers</c>: the HR image column, the official YAML
/// (as <c>hfdiff train --config</c> takes it), the run folder, and the columns and inference settings of the SR transform
/// that <c>Fit</c> returns.
/// </summary>
public abstract class SuperResolutionTrainerOptions
{
    private protected SuperResolutionTrainerOptions() { }

    /// <summary>
    /// Column of HR (ground-truth) training images: file paths (String) or MLImage. Training pairs are synthesized from them
    /// with the Real-ESRGAN degradation, as <c>hfdiff train --data</c> does for a folder.
    /// </summary>
    public string HrImageColumnName { get; set; } = "Image";

    /// <summary>
    /// Official ResShift/SinSR YAML: <c>model</c> (with <c>ckpt_path</c>, and <c>teacher_ckpt_path</c> for the student),
    /// <c>autoencoder</c>, <c>diffusion</c>, <c>train</c> and an optional <c>hfdiff</c> section. Checkpoint paths are taken
    /// as written, relative to the YAML's folder, or as a file name in <see cref="ModelDirectory"/>. Required.
    /// </summary>
    public string ConfigPath { get; set; } = "";

    /// <summary>
    /// Run folder: <c>checkpoints/</c>, <c>train_log.csv</c>, <c>model_final.pth</c>, <c>ema_model_final.pth</c> (the
    /// weights the returned transform loads) and <c>train_config.yaml</c> (a copy of <see cref="ConfigPath"/>).
    /// Null → a new folder under <c>MLContext.TempFilePath</c> for every <c>Fit</c> (named in the log). The returned transform,
    /// saved or not, loads its weights from this folder (and the autoencoder from where the YAML names it): keep both.
    /// </summary>
    public string? OutputFolder { get; set; }

    /// <summary>Continue from the newest checkpoint in <see cref="OutputFolder"/> (the settings must match); without it a folder with checkpoints is refused.</summary>
    public bool Resume { get; set; }

    /// <summary>Folder of pretrained files (checkpoints named by file name, HF-Diff's INN/DINOv2/VGG weights); null → <c>$HFDIFF_MODELS</c>, else <c>~/.hfdiff/models</c>.</summary>
    public string? ModelDirectory { get; set; }

    /// <summary>Torch device of the training (and of the returned transform unless <see cref="SuperResolverOptions.Device"/> is set in
    /// <see cref="Resolver"/>); an explicit <c>"cpu"</c> wins over MLContext.GpuDeviceId too. Null → MLContext.GpuDeviceId / FallbackToCpu.</summary>
    public string? Device { get; set; }

    /// <summary>Overrides <c>train.iterations</c> (optimizer steps in total, counting those of a resumed run); null keeps the YAML's.</summary>
    public long? Iterations { get; set; }

    /// <summary>Column of the returned transform that receives the super-resolved MLImage.</summary>
    public string OutputColumnName { get; set; } = "SuperResolved";

    /// <summary>
    /// Column of low-resolution images the returned transform super-resolves (MLImage or paths); null → <see cref="HrImageColumnName"/>.
    /// It must be in the data given to <c>Fit</c>, as for any ML.NET transform.
    /// </summary>
    public string? InputColumnName { get; set; }

    /// <summary>
    /// Inference settings of the returned transform (seed, steps, tiling, precision, device). <c>Fit</c> sets the config,
    /// both checkpoints (the trained EMA weights and the YAML's autoencoder) and the network options; <c>Steps</c> left
    /// null becomes 1 for the one-step student and the chain of <c>diffusion.steps</c> for the teacher.
    /// </summary>
    public SuperResolverOptions Resolver { get; set; } = new();

    /// <summary>Images above this many pixels are refused (training rows and the returned transform's input).</summary>
    public long MaxPixels { get; set; } = Torch.Imaging.ImageReadOptions.Default.MaxPixels;
}

/// <summary>
/// <c>mlContext.SuperResolution.Trainers.HfDiff(options)</c>: the one-step student, distilled from the frozen ResShift
/// teacher as SinSR trains it (<c>train.learn_xT</c>, <c>train.finetune_use_gt</c>), plus HF-Diff's extra terms
/// (<c>hfdiff.losses</c> or <see cref="Losses"/>).
/// </summary>
public sealed class HfDiffTrainerOptions : SuperResolutionTrainerOptions
{
    /// <summary>
    /// Overrides <c>hfdiff.losses</c>: <c>sinsr</c> (none), <c>hf</c>, <c>dm</c>, <c>vgg</c>, <c>lpips</c>, <c>hf+dm</c>
    /// (HF-Diff Table 4) or a '+'-joined set; null keeps the YAML's.
    /// </summary>
    public string? Losses { get; set; }
}

/// <summary><c>mlContext.SuperResolution.Trainers.ResShiftTeacher(options)</c>: the multi-step ResShift teacher (UNet trained, VQGAN frozen).</summary>
public sealed class ResShiftTrainerOptions : SuperResolutionTrainerOptions
{
}
