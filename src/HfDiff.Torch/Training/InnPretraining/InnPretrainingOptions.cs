using HfDiff.Torch.Archs.HfDiff;
using HfDiff.Torch.Data.Classification;

namespace HfDiff.Torch.Training.InnPretraining;

/// <summary>
/// Settings of <see cref="InnPretrainer"/>. Defaults are the HF-Diff paper's pretraining of the INN feature extractor as
/// an ImageNet classifier: Adam, learning rate 5e-4, batch 32, learning rate ×0.95 every 5000 iterations, 20 epochs,
/// 224×224 crops. The paper gives no Adam betas/eps/weight decay; PyTorch's defaults are used.
/// </summary>
public sealed record InnPretrainingOptions
{
    /// <summary>Training images, one sub-folder per class (ImageNet <c>train/</c> layout). Required.</summary>
    public string TrainFolder { get; init; } = "";
    /// <summary>Validation images in the same layout and with the same class folders; null = no validation.</summary>
    public string? ValFolder { get; init; }
    /// <summary>Where checkpoints and the final weights go; a run resumes from the latest checkpoint found here. Required.</summary>
    public string OutputFolder { get; init; } = "";

    /// <summary>Network shape. <see cref="HfDiffInnFeatureExtractorOptions.NumClasses"/> must equal the number of class folders.</summary>
    public HfDiffInnFeatureExtractorOptions Extractor { get; init; } = new();
    /// <summary>Crop size and augmentation (ImageNet recipe); <c>Transform.CropSize</c> is the training/validation input size.</summary>
    public ClassificationTransformOptions Transform { get; init; } = new();

    public double LearningRate { get; init; } = 5e-4;
    public double Beta1 { get; init; } = 0.9;
    public double Beta2 { get; init; } = 0.999;
    public double Eps { get; init; } = 1e-8;
    public double WeightDecay { get; init; }
    /// <summary>Factor applied to the learning rate every <see cref="LrDecayEvery"/> iterations (StepLR on iterations).</summary>
    public double LrDecayGamma { get; init; } = 0.95;
    public int LrDecayEvery { get; init; } = 5000;
    public int BatchSize { get; init; } = 32;
    /// <summary>Validation batch size; null = <see cref="BatchSize"/>.</summary>
    public int? ValBatchSize { get; init; }
    public int Epochs { get; init; } = 20;
    /// <summary>Stop after this many iterations in total (counting those of earlier, resumed runs); null = run all epochs.</summary>
    public long? MaxIterations { get; init; }

    /// <summary>Seeds the initial weights (<c>torch.manual_seed</c> once, before the model is built), the epoch shuffles and the augmentation.</summary>
    public int Seed { get; init; }
    /// <summary>TorchSharp device string: <c>cpu</c>, <c>cuda</c>, <c>cuda:1</c>, …</summary>
    public string Device { get; init; } = "cpu";
    /// <summary>Write a checkpoint every this many iterations (one is also written after every epoch and when the run stops); 0 = only those.</summary>
    public int CheckpointEvery { get; init; } = 1000;
    /// <summary>How many of the newest checkpoints to keep (older ones are deleted).</summary>
    public int KeepCheckpoints { get; init; } = 2;
    /// <summary>File name of the final weights in <see cref="OutputFolder"/> (safetensors; <see cref="HfDiffInnFeatureExtractor.LoadWeights"/> reads it).</summary>
    public string WeightsFileName { get; init; } = "hfdiff_inn_extractor.safetensors";

    /// <summary>Batches decoded ahead of training on a background task; 0 (default) decodes on the training thread, which
    /// avoids TorchSharp's Scalar race (docs/TORCHSHARP-SCALAR-RACE.md).</summary>
    public int PrefetchBatches { get; init; }
    /// <summary>Images of a batch decoded in parallel (default 1; more threads risk the same race).</summary>
    public int DataWorkers { get; init; } = 1;

    /// <summary>Learning rate of the step that follows <paramref name="iterationsDone"/> steps: <c>lr · γ^⌊i / every⌋</c>.</summary>
    public double LearningRateAt(long iterationsDone) => LearningRate * Math.Pow(LrDecayGamma, iterationsDone / LrDecayEvery);

    /// <summary>Throws naming the first invalid option, its value and the allowed range.</summary>
    public void Validate()
    {
        if (string.IsNullOrWhiteSpace(TrainFolder)) throw new ArgumentException("TrainFolder must be set to a folder with one sub-folder per class.", nameof(TrainFolder));
        if (string.IsNullOrWhiteSpace(OutputFolder)) throw new ArgumentException("OutputFolder must be set.", nameof(OutputFolder));
        ArgumentNullException.ThrowIfNull(Extractor, nameof(Extractor));
        ArgumentNullException.ThrowIfNull(Transform, nameof(Transform));
        Extractor.Validate();
        Transform.Validate();
        Positive(LearningRate, nameof(LearningRate));
        if (!(Beta1 >= 0 && Beta1 < 1)) throw new ArgumentOutOfRangeException(nameof(Beta1), Beta1, $"Beta1 must be in [0, 1); got {Beta1}.");
        if (!(Beta2 >= 0 && Beta2 < 1)) throw new ArgumentOutOfRangeException(nameof(Beta2), Beta2, $"Beta2 must be in [0, 1); got {Beta2}.");
        Positive(Eps, nameof(Eps));
        if (!(WeightDecay >= 0 && double.IsFinite(WeightDecay))) throw new ArgumentOutOfRangeException(nameof(WeightDecay), WeightDecay, $"WeightDecay must be >= 0; got {WeightDecay}.");
        if (!(LrDecayGamma > 0 && LrDecayGamma <= 1)) throw new ArgumentOutOfRangeException(nameof(LrDecayGamma), LrDecayGamma, $"LrDecayGamma must be in (0, 1]; got {LrDecayGamma}.");
        AtLeast(LrDecayEvery, 1, nameof(LrDecayEvery));
        AtLeast(BatchSize, 1, nameof(BatchSize));
        if (ValBatchSize is int v) AtLeast(v, 1, nameof(ValBatchSize));
        AtLeast(Epochs, 1, nameof(Epochs));
        if (MaxIterations is long m && m < 1) throw new ArgumentOutOfRangeException(nameof(MaxIterations), m, $"MaxIterations must be >= 1 or null; got {m}.");
        AtLeast(CheckpointEvery, 0, nameof(CheckpointEvery));
        AtLeast(KeepCheckpoints, 1, nameof(KeepCheckpoints));
        AtLeast(PrefetchBatches, 0, nameof(PrefetchBatches));
        AtLeast(DataWorkers, 1, nameof(DataWorkers));
        if (string.IsNullOrWhiteSpace(Device)) throw new ArgumentException("Device must be a TorchSharp device string such as 'cpu' or 'cuda:0'.", nameof(Device));
        if (string.IsNullOrWhiteSpace(WeightsFileName) || WeightsFileName.IndexOfAny(Path.GetInvalidFileNameChars()) >= 0
            || !WeightsFileName.EndsWith(".safetensors", StringComparison.OrdinalIgnoreCase))
            throw new ArgumentException($"WeightsFileName must be a plain file name ending in .safetensors; got '{WeightsFileName}'.", nameof(WeightsFileName));
    }

    static void Positive(double value, string name)
    {
        if (!(value > 0 && double.IsFinite(value))) throw new ArgumentOutOfRangeException(name, value, $"{name} must be > 0; got {value}.");
    }

    static void AtLeast(long value, long min, string name)
    {
        if (value < min) throw new ArgumentOutOfRangeException(name, value, $"{name} must be >= {min}; got {value}.");
    }
}
