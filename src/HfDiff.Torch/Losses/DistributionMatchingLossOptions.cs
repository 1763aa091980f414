using HfDiff.Torch.Archs.Dinov2;

namespace HfDiff.Torch.Losses;

/// <summary>Settings of <see cref="DistributionMatchingLoss"/> (see its remarks for why these defaults).</summary>
public sealed record DistributionMatchingLossOptions
{
    public Dinov2EmbeddingKind Embedding { get; init; } = Dinov2EmbeddingKind.ClassToken;
    /// <summary>Softmax temperature over the embedding dimension (logits = embedding / T).</summary>
    public double Temperature { get; init; } = 1.0;
    /// <summary>Multiplier of the JS value (λ of the loss term).</summary>
    public double Weight { get; init; } = 1.0;
    /// <summary>
    /// Input preparation; default: images in [−1, 1] (the SinSR / ResShift pixel convention), each side resized (bicubic,
    /// antialiased) to the nearest multiple of 14, ImageNet normalisation.
    /// </summary>
    public Dinov2PreprocessOptions Preprocess { get; init; } = new() { InputRange = ImageValueRange.MinusOneToOne };
    /// <summary>Compute the GT embedding without gradient (it is a target).</summary>
    public bool DetachTarget { get; init; } = true;

    public void Validate()
    {
        if (!(Temperature > 0)) throw new ArgumentOutOfRangeException(nameof(Temperature), Temperature, "Temperature must be > 0.");
        if (!(Weight >= 0)) throw new ArgumentOutOfRangeException(nameof(Weight), Weight, "Weight must be >= 0.");
        ArgumentNullException.ThrowIfNull(Preprocess, nameof(Preprocess));
        Preprocess.Validate();
    }
}
