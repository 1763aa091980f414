using Microsoft.ML;

namespace HfDiff.MLNet.SuperResolution;

/// <summary>
/// <c>mlContext.SuperResolution.Trainers</c>: estimators whose <c>Fit</c> trains an SR model on an HR image column and
/// returns its SR transform, in the style of ML.NET's trainer catalogs.
/// </summary>
public sealed class SuperResolutionTrainers
{
    readonly MLContext _context;
    internal SuperResolutionTrainers(MLContext context) => _context = context;

    /// <summary>The one-step SinSR student with HF-Diff's extra terms, distilled from the teacher the YAML names.</summary>
    public HfDiffTrainer HfDiff(HfDiffTrainerOptions options) => new(_context, options);

    /// <summary>The student from the official YAML <paramref name="configPath"/>, trained on <paramref name="hrImageColumnName"/>.</summary>
    public HfDiffTrainer HfDiff(string configPath, string hrImageColumnName = "Image", string outputColumnName = "SuperResolved", string? losses = null) =>
        new(_context, new HfDiffTrainerOptions { ConfigPath = configPath, HrImageColumnName = hrImageColumnName, OutputColumnName = outputColumnName, Losses = losses });

    /// <summary>The ResShift teacher (UNet trained from the YAML's <c>model.ckpt_path</c> or from scratch, VQGAN frozen).</summary>
    public ResShiftTrainer ResShiftTeacher(ResShiftTrainerOptions options) => new(_context, options);

    /// <summary>The teacher from the official YAML <paramref name="configPath"/>, trained on <paramref name="hrImageColumnName"/>.</summary>
    public ResShiftTrainer ResShiftTeacher(string configPath, string hrImageColumnName = "Image", string outputColumnName = "SuperResolved") =>
        new(_context, new ResShiftTrainerOptions { ConfigPath = configPath, HrImageColumnName = hrImageColumnName, OutputColumnName = outputColumnName });
}
