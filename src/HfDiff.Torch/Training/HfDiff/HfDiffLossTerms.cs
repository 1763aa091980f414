namespace HfDiff.Torch.Training.HfDiff;

/// <summary>
/// The loss terms HF-Diff adds to SinSR's distillation loss, and their ablation baselines (the paper's Table 4). None is the
/// SinSR baseline. Combine with <c>|</c>; <see cref="HfDiffAblation"/> names the Table 4 rows.
/// </summary>
[Flags]
public enum HfDiffLossTerms
{
    /// <summary>No extra term: SinSR as released.</summary>
    None = 0,
    /// <summary>λ_HF · MSE of INN features (<see cref="Losses.HighFrequencyPerceptualLoss"/>), on VQ latents or decoded images.</summary>
    HighFrequency = 1,
    /// <summary>λ_DM · JS divergence of DINOv2 embeddings of the decoded SR and the GT (<see cref="Losses.DistributionMatchingLoss"/>).</summary>
    DistributionMatching = 2,
    /// <summary>VGG16 perceptual loss on decoded images (<see cref="Losses.Perceptual.VggPerceptualLoss"/>), the ablation baseline.</summary>
    VggPerceptual = 4,
    /// <summary>LPIPS as a loss on decoded images (<see cref="Losses.Perceptual.LpipsPerceptualLoss"/>), the ablation baseline.</summary>
    Lpips = 8,
}

/// <summary>One row of the paper's Table 4: its switch name (YAML <c>hfdiff.losses</c>, <c>--losses</c>) and terms.</summary>
public sealed record HfDiffAblationRow(string Name, HfDiffLossTerms Terms, string Description);

/// <summary>The ablation switches: the rows of HF-Diff's Table 4 and the parser of <c>hfdiff.losses</c>.</summary>
public static class HfDiffAblation
{
    /// <summary>The rows of Table 4, in the paper's order.</summary>
    public static IReadOnlyList<HfDiffAblationRow> Table4 { get; } =
    [
        new("sinsr", HfDiffLossTerms.None, "SinSR baseline (no extra term)"),
        new("hf", HfDiffLossTerms.HighFrequency, "high-frequency perceptual loss only"),
        new("dm", HfDiffLossTerms.DistributionMatching, "DINOv2 distribution matching only"),
        new("vgg", HfDiffLossTerms.VggPerceptual, "VGG16 perceptual loss only"),
        new("lpips", HfDiffLossTerms.Lpips, "LPIPS loss only"),
        new("hf+dm", HfDiffLossTerms.HighFrequency | HfDiffLossTerms.DistributionMatching, "HF-Diff: high-frequency + distribution matching"),
    ];

    static readonly (string Name, HfDiffLossTerms Term)[] Parts =
        [("hf", HfDiffLossTerms.HighFrequency), ("dm", HfDiffLossTerms.DistributionMatching), ("vgg", HfDiffLossTerms.VggPerceptual), ("lpips", HfDiffLossTerms.Lpips)];

    /// <summary>
    /// Parses a Table 4 row name or a <c>+</c>-joined set of <c>hf</c>, <c>dm</c>, <c>vgg</c>, <c>lpips</c>
    /// (<c>sinsr</c> or <c>none</c> = no term), case-insensitive. Throws <see cref="FormatException"/> listing the valid names.
    /// </summary>
    public static HfDiffLossTerms Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var t = text.Trim().ToLowerInvariant();
        if (t is "sinsr" or "none" or "") return HfDiffLossTerms.None;
        var terms = HfDiffLossTerms.None;
        foreach (var raw in t.Split('+'))
        {
            var part = raw.Trim();
            var hit = Parts.FirstOrDefault(p => p.Name == part);
            if (hit.Name is null)
                throw new FormatException($"Unknown loss term '{part}' in '{text}'; use one of {string.Join(", ", Table4.Select(r => r.Name))} or a '+'-joined set of hf, dm, vgg, lpips.");
            terms |= hit.Term;
        }
        return terms;
    }

    /// <summary>The canonical text of a term set (<c>sinsr</c>, <c>hf+dm</c>, …), which <see cref="Parse"/> reads back.</summary>
    public static string Format(HfDiffLossTerms terms) =>
        terms == HfDiffLossTerms.None ? "sinsr" : string.Join("+", Parts.Where(p => terms.HasFlag(p.Term)).Select(p => p.Name));
}
