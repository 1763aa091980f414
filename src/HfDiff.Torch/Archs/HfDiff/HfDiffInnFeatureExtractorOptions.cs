namespace HfDiff.Torch.Archs.HfDiff;

/// <summary>
/// Shape of the HF-Diff INN feature extractor. Defaults follow the paper: N = 64 feature channels, K = 3 INN nodes,
/// ImageNet classifier head (1000 classes) for pretraining, RGB input. HF-Diff's released code applies the loss to the
/// 3×64×64 VQ-f4 latents, which also have 3 channels, so the same defaults serve both.
/// </summary>
public sealed record HfDiffInnFeatureExtractorOptions
{
    /// <summary>Input channels: 3 for RGB images or for VQ-f4 latents.</summary>
    public int InChannels { get; init; } = 3;
    /// <summary>N: feature channels of the stem and the INN (even: the INN splits them in halves).</summary>
    public int Channels { get; init; } = 64;
    /// <summary>K: number of INN nodes (<see cref="DetailNode"/>s).</summary>
    public int NumNodes { get; init; } = 3;
    /// <summary>Residual blocks after the stem's first 3×3 convolution (0 = a single convolution).</summary>
    public int StemDepth { get; init; } = 2;
    /// <summary>Classes of the pretraining head (global average pooling + linear).</summary>
    public int NumClasses { get; init; } = 1000;

    /// <summary>Throws naming the first invalid option.</summary>
    public void Validate()
    {
        if (InChannels < 1) throw new ArgumentOutOfRangeException(nameof(InChannels), InChannels, "InChannels must be >= 1.");
        if (Channels < 2 || Channels % 2 != 0) throw new ArgumentOutOfRangeException(nameof(Channels), Channels, "Channels must be an even number >= 2.");
        if (NumNodes < 1) throw new ArgumentOutOfRangeException(nameof(NumNodes), NumNodes, "NumNodes must be >= 1.");
        if (StemDepth < 0) throw new ArgumentOutOfRangeException(nameof(StemDepth), StemDepth, "StemDepth must be >= 0.");
        if (NumClasses < 1) throw new ArgumentOutOfRangeException(nameof(NumClasses), NumClasses, "NumClasses must be >= 1.");
    }
}
