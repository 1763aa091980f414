namespace HfDiff.Torch.Archs.Dinov2;

/// <summary>
/// Constructor arguments of <see cref="DinoVisionTransformer"/> (names follow the reference <c>DinoVisionTransformer.__init__</c>).
/// Defaults are the torch-hub <c>dinov2_vitb14</c> configuration; use the presets for the other hub models.
/// Implicit reference settings kept fixed: LayerNorm eps 1e-6, GELU (exact erf), no drop path, head = Identity.
/// </summary>
public sealed record DinoVisionTransformerOptions
{
    /// <summary>Training image size; fixes the learned position-embedding grid (518 / 14 = 37 → 1 + 37² entries).</summary>
    public int ImgSize { get; init; } = 518;
    public int PatchSize { get; init; } = 14;
    public int InChans { get; init; } = 3;
    public int EmbedDim { get; init; } = 768;
    public int Depth { get; init; } = 12;
    public int NumHeads { get; init; } = 12;
    public double MlpRatio { get; init; } = 4.0;
    public bool QkvBias { get; init; } = true;
    public bool ProjBias { get; init; } = true;
    public bool FfnBias { get; init; } = true;
    /// <summary>LayerScale initial value; null or 0 = no LayerScale (no <c>ls1/ls2.gamma</c> keys). Hub models use 1.0.</summary>
    public double? InitValues { get; init; } = 1.0;
    public Dinov2FfnLayer FfnLayer { get; init; } = Dinov2FfnLayer.Mlp;
    /// <summary>Extra learned tokens inserted after the class token ("registers"; 4 in the <c>*_reg</c> hub models).</summary>
    public int NumRegisterTokens { get; init; }
    /// <summary>Antialiased bicubic position-embedding resize (true in the <c>*_reg</c> hub models).</summary>
    public bool InterpolateAntialias { get; init; }
    /// <summary>Historical offset added to the target grid in the scale factor (0.1 for the original hub models, 0 for <c>*_reg</c>).</summary>
    public double InterpolateOffset { get; init; } = 0.1;
    public double LayerNormEps { get; init; } = 1e-6;

    /// <summary>Patches per side of the learned position-embedding grid.</summary>
    public int PositionGridSize => ImgSize / PatchSize;

    public static DinoVisionTransformerOptions VitS14 { get; } = new() { EmbedDim = 384, Depth = 12, NumHeads = 6 };
    public static DinoVisionTransformerOptions VitB14 { get; } = new();
    public static DinoVisionTransformerOptions VitL14 { get; } = new() { EmbedDim = 1024, Depth = 24, NumHeads = 16 };
    public static DinoVisionTransformerOptions VitG14 { get; } = new() { EmbedDim = 1536, Depth = 40, NumHeads = 24, FfnLayer = Dinov2FfnLayer.SwiGlu };

    /// <summary>The same architecture in the register variant of the hub (<c>*_reg</c>: 4 registers, antialias, offset 0).</summary>
    public DinoVisionTransformerOptions WithRegisters(int count = 4) =>
        this with { NumRegisterTokens = count, InterpolateAntialias = true, InterpolateOffset = 0.0 };

    /// <summary>
    /// Options of a torch-hub entry point: <c>dinov2_vit{s,b,l,g}14</c> and <c>dinov2_vit{s,b,l,g}14_reg</c> (<c>_reg4</c> accepted,
    /// as in the checkpoint file names).
    /// </summary>
    public static DinoVisionTransformerOptions FromHubName(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        var n = name.Trim().ToLowerInvariant();
        bool reg = n.EndsWith("_reg", StringComparison.Ordinal) || n.EndsWith("_reg4", StringComparison.Ordinal);
        var arch = reg ? n[..n.LastIndexOf("_reg", StringComparison.Ordinal)] : n;
        var baseOptions = arch switch
        {
            "dinov2_vits14" => VitS14,
            "dinov2_vitb14" => VitB14,
            "dinov2_vitl14" => VitL14,
            "dinov2_vitg14" => VitG14,
            _ => throw new ArgumentOutOfRangeException(nameof(name), name,
                "Unknown DINOv2 hub model; expected dinov2_vit{s,b,l,g}14 with an optional _reg suffix."),
        };
        return reg ? baseOptions.WithRegisters() : baseOptions;
    }

    /// <summary>Throws naming the first invalid option.</summary>
    public void Validate()
    {
        if (PatchSize < 1) throw new ArgumentOutOfRangeException(nameof(PatchSize), PatchSize, "PatchSize must be >= 1.");
        if (ImgSize < PatchSize) throw new ArgumentOutOfRangeException(nameof(ImgSize), ImgSize, $"ImgSize must be >= PatchSize ({PatchSize}).");
        if (InChans < 1) throw new ArgumentOutOfRangeException(nameof(InChans), InChans, "InChans must be >= 1.");
        if (EmbedDim < 1) throw new ArgumentOutOfRangeException(nameof(EmbedDim), EmbedDim, "EmbedDim must be >= 1.");
        if (Depth < 1) throw new ArgumentOutOfRangeException(nameof(Depth), Depth, "Depth must be >= 1.");
        if (NumHeads < 1 || EmbedDim % NumHeads != 0)
            throw new ArgumentOutOfRangeException(nameof(NumHeads), NumHeads, $"NumHeads must be >= 1 and divide EmbedDim ({EmbedDim}).");
        if (!(MlpRatio > 0)) throw new ArgumentOutOfRangeException(nameof(MlpRatio), MlpRatio, "MlpRatio must be > 0.");
        if (NumRegisterTokens < 0) throw new ArgumentOutOfRangeException(nameof(NumRegisterTokens), NumRegisterTokens, "NumRegisterTokens must be >= 0.");
        if (InterpolateOffset < 0 || InterpolateOffset >= 1)
            throw new ArgumentOutOfRangeException(nameof(InterpolateOffset), InterpolateOffset, "InterpolateOffset must be in [0, 1).");
        if (!(LayerNormEps > 0)) throw new ArgumentOutOfRangeException(nameof(LayerNormEps), LayerNormEps, "LayerNormEps must be > 0.");
    }
}
