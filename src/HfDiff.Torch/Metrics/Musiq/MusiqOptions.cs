namespace HfDiff.Torch.Metrics.Musiq;

/// <summary>
/// MUSIQ constructor arguments (pyiqa <c>MUSIQ.__init__</c>). Defaults are the published full-size model with the
/// KonIQ-10k head (<c>num_class=1</c>, checkpoint <c>musiq_koniq_ckpt-e95806b9.pth</c>).
/// </summary>
public sealed record MusiqOptions
{
    public int PatchSize { get; init; } = 32;
    /// <summary>1 = regression head (KonIQ, SPAQ, PaQ-2-PiQ); 10 = AVA score distribution (softmax, then its mean).</summary>
    public int NumClass { get; init; } = 1;
    public int HiddenSize { get; init; } = 384;
    public int MlpDim { get; init; } = 1152;
    public int NumHeads { get; init; } = 6;
    public int NumLayers { get; init; } = 14;
    public int NumScales { get; init; } = 3;
    public int SpatialPosGridSize { get; init; } = 10;
    public bool UseScaleEmb { get; init; } = true;
    /// <summary>Longer side of each resized scale (sorted before use, as pyiqa does).</summary>
    public IReadOnlyList<int> LongerSideLengths { get; init; } = [224, 384];
    /// <summary>Patches kept from the original resolution: &lt;0 all, 0 none, n at most n (padded); null = no original scale.</summary>
    public int? MaxSeqLenFromOriginalRes { get; init; } = -1;

    /// <summary>Throws naming the first invalid setting.</summary>
    public void Validate()
    {
        static void Require(bool ok, string name, object value, string range)
        {
            if (!ok) throw new ArgumentOutOfRangeException(name, value, $"{name} must be {range}; got {value}.");
        }
        Require(PatchSize >= 4 && PatchSize % 4 == 0, nameof(PatchSize), PatchSize, "a positive multiple of 4");
        Require(NumClass >= 1, nameof(NumClass), NumClass, ">= 1");
        Require(HiddenSize >= 1, nameof(HiddenSize), HiddenSize, ">= 1");
        Require(MlpDim >= 1, nameof(MlpDim), MlpDim, ">= 1");
        Require(NumHeads >= 1 && HiddenSize % NumHeads == 0, nameof(NumHeads), NumHeads, $"a divisor of HiddenSize ({HiddenSize})");
        Require(NumLayers >= 1, nameof(NumLayers), NumLayers, ">= 1");
        Require(SpatialPosGridSize >= 1, nameof(SpatialPosGridSize), SpatialPosGridSize, ">= 1");
        if (LongerSideLengths is null || LongerSideLengths.Count == 0 || LongerSideLengths.Any(l => l < 1))
            throw new ArgumentOutOfRangeException(nameof(LongerSideLengths), LongerSideLengths is null ? "null" : string.Join(",", LongerSideLengths),
                "LongerSideLengths must list at least one positive length.");
        int scaleIds = LongerSideLengths.Count + (MaxSeqLenFromOriginalRes is null ? 0 : 1);
        Require(NumScales >= (UseScaleEmb ? scaleIds : 1), nameof(NumScales), NumScales,
                $">= the number of scales in use ({scaleIds}: the resized ones plus the original)");
    }
}
