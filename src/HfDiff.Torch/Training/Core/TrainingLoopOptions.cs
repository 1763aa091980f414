using System.Globalization;

namespace HfDiff.Torch.Training.Core;

/// <summary>
/// Settings of a <see cref="TrainingLoop"/>, named after the official YAML <c>train:</c> keys where one exists.
/// The optimizer is <c>torch.optim.AdamW(lr, betas=(0.9, 0.999), eps=1e-8, weight_decay)</c> as in both official trainers.
/// </summary>
public sealed record TrainingLoopOptions
{
    /// <summary>Folder for checkpoints (<c>checkpoints/</c>), the CSV log and the final state dicts. Required.</summary>
    public string OutputFolder { get; init; } = "";
    /// <summary>Learning-rate rule (<c>lr</c>, <c>milestones</c> / <c>warmup_iterations</c>, <c>lr_schedule</c>). Required.</summary>
    public ILearningRateSchedule LrSchedule { get; init; } = null!;
    /// <summary><c>iterations</c>: optimizer steps in total (counting those of earlier, resumed runs).</summary>
    public long Iterations { get; init; } = 1;
    /// <summary><c>batch[0]</c>: rows per iteration (checked against each batch the source delivers).</summary>
    public int Batch { get; init; } = 1;
    /// <summary><c>microbatch</c>: rows per forward/backward; the loss of each is divided by ceil(batch / microbatch).</summary>
    public int Microbatch { get; init; } = 1;
    /// <summary><c>ema_rate</c>.</summary>
    public double EmaRate { get; init; } = 0.999;
    /// <summary><c>weight_decay</c> of AdamW (decoupled).</summary>
    public double WeightDecay { get; init; }
    public double Beta1 { get; init; } = 0.9;
    public double Beta2 { get; init; } = 0.999;
    public double Eps { get; init; } = 1e-8;
    /// <summary>Clip the global gradient norm to this value before the step; null = off (the official trainers do not clip).</summary>
    public double? MaxGradNorm { get; init; }
    /// <summary>Stop with <see cref="TrainingDivergedException"/> after this many consecutive skipped (non-finite) iterations.</summary>
    public int MaxConsecutiveNonFinite { get; init; } = 5;
    /// <summary><c>save_freq</c>: write a checkpoint every this many iterations (and always after the last one).</summary>
    public long SaveFreq { get; init; } = 1000;
    /// <summary>How many of the newest checkpoints to keep.</summary>
    public int KeepCheckpoints { get; init; } = 2;
    /// <summary><c>seed</c> of the run's own random stream (<see cref="TrainingRandom"/>).</summary>
    public long Seed { get; init; } = 12345;
    /// <summary>Continue from the newest checkpoint in <see cref="OutputFolder"/>; without it, a folder with checkpoints is refused.</summary>
    public bool Resume { get; init; }
    /// <summary>TorchSharp device string of the networks (batches are moved there).</summary>
    public string Device { get; init; } = "cpu";
    /// <summary>
    /// The optimizer: <see cref="TrainingOptimizer.AdamW"/> (decoupled weight decay; the official SR trainers) or
    /// <see cref="TrainingOptimizer.Adam"/> (L2 weight decay added to the gradient; the HF-Diff INN pretraining).
    /// </summary>
    public TrainingOptimizer Optimizer { get; init; } = TrainingOptimizer.AdamW;

    public void Validate()
    {
        if (string.IsNullOrWhiteSpace(OutputFolder)) throw new ArgumentException("OutputFolder must be set.", nameof(OutputFolder));
        if (LrSchedule is null) throw new ArgumentNullException(nameof(LrSchedule), "LrSchedule must be set.");
        AtLeast(Iterations, 1, nameof(Iterations));
        AtLeast(Batch, 1, nameof(Batch));
        AtLeast(Microbatch, 1, nameof(Microbatch));
        if (!(EmaRate >= 0 && EmaRate <= 1)) throw new ArgumentOutOfRangeException(nameof(EmaRate), EmaRate, $"EmaRate must be in [0, 1]; got {EmaRate}.");
        if (!(WeightDecay >= 0 && double.IsFinite(WeightDecay))) throw new ArgumentOutOfRangeException(nameof(WeightDecay), WeightDecay, $"WeightDecay must be >= 0; got {WeightDecay}.");
        if (!(Beta1 >= 0 && Beta1 < 1)) throw new ArgumentOutOfRangeException(nameof(Beta1), Beta1, $"Beta1 must be in [0, 1); got {Beta1}.");
        if (!(Beta2 >= 0 && Beta2 < 1)) throw new ArgumentOutOfRangeException(nameof(Beta2), Beta2, $"Beta2 must be in [0, 1); got {Beta2}.");
        if (!(Eps > 0)) throw new ArgumentOutOfRangeException(nameof(Eps), Eps, $"Eps must be > 0; got {Eps}.");
        if (MaxGradNorm is double g && !(g > 0 && double.IsFinite(g))) throw new ArgumentOutOfRangeException(nameof(MaxGradNorm), g, $"MaxGradNorm must be > 0 or null; got {g}.");
        AtLeast(MaxConsecutiveNonFinite, 1, nameof(MaxConsecutiveNonFinite));
        AtLeast(SaveFreq, 1, nameof(SaveFreq));
        AtLeast(KeepCheckpoints, 1, nameof(KeepCheckpoints));
        if (string.IsNullOrWhiteSpace(Device)) throw new ArgumentException("Device must be a TorchSharp device string such as 'cpu' or 'cuda:0'.", nameof(Device));
        if (!Enum.IsDefined(Optimizer)) throw new ArgumentOutOfRangeException(nameof(Optimizer), Optimizer, "Optimizer must be AdamW or Adam.");
    }

    /// <summary>The loop settings a resumed run must share with the checkpoint (iterations, save_freq, device may change).</summary>
    public Dictionary<string, string> Fingerprint()
    {
        var f = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["lr_schedule"] = LrSchedule.Describe(),
            ["batch"] = Batch.ToString(CultureInfo.InvariantCulture),
            ["microbatch"] = Microbatch.ToString(CultureInfo.InvariantCulture),
            ["ema_rate"] = EmaRate.ToString("R", CultureInfo.InvariantCulture),
            ["weight_decay"] = WeightDecay.ToString("R", CultureInfo.InvariantCulture),
            ["betas"] = string.Create(CultureInfo.InvariantCulture, $"{Beta1:R},{Beta2:R}"),
            ["eps"] = Eps.ToString("R", CultureInfo.InvariantCulture),
            ["max_grad_norm"] = MaxGradNorm?.ToString("R", CultureInfo.InvariantCulture) ?? "off",
            ["seed"] = Seed.ToString(CultureInfo.InvariantCulture),
        };
        // Only a non-default optimizer is named, so checkpoints written before the option existed still resume.
        if (Optimizer != TrainingOptimizer.AdamW) f["optimizer"] = Optimizer.ToString().ToLowerInvariant();
        return f;
    }

    static void AtLeast(long value, long min, string name)
    {
        if (value < min) throw new ArgumentOutOfRangeException(name, value, $"{name} must be >= {min}; got {value}.");
    }
}

/// <summary>The optimizer a <see cref="TrainingLoop"/> builds.</summary>
public enum TrainingOptimizer
{
    /// <summary><c>torch.optim.AdamW</c>: weight decay applied to the weights, decoupled from the moments.</summary>
    AdamW,
    /// <summary><c>torch.optim.Adam</c>: weight decay added to the gradient (L2), as in the HF-Diff INN pretraining.</summary>
    Adam,
}
