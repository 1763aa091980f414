namespace HfDiff.Torch.Degradations;

/// <summary>
/// Kernel families of <c>random_mixed_kernels</c>; the config names are <c>iso</c>, <c>aniso</c>, <c>generalized_iso</c>,
/// <c>generalized_aniso</c>, <c>plateau_iso</c>, <c>plateau_aniso</c> (see <see cref="BlurKernelTypes.Parse"/>).
/// </summary>
public enum BlurKernelType
{
    Iso,
    Aniso,
    GeneralizedIso,
    GeneralizedAniso,
    PlateauIso,
    PlateauAniso,
}

/// <summary>Config-name conversions for <see cref="BlurKernelType"/>.</summary>
public static class BlurKernelTypes
{
    static readonly (string Name, BlurKernelType Type)[] Names =
    [
        ("iso", BlurKernelType.Iso), ("aniso", BlurKernelType.Aniso),
        ("generalized_iso", BlurKernelType.GeneralizedIso), ("generalized_aniso", BlurKernelType.GeneralizedAniso),
        ("plateau_iso", BlurKernelType.PlateauIso), ("plateau_aniso", BlurKernelType.PlateauAniso),
    ];

    /// <summary>Parses a reference config name such as <c>generalized_iso</c>.</summary>
    public static BlurKernelType Parse(string name)
    {
        foreach (var (n, t) in Names) if (string.Equals(n, name, StringComparison.Ordinal)) return t;
        throw new ArgumentOutOfRangeException(nameof(name), $"Unknown kernel type '{name}'; expected one of {string.Join(", ", Names.Select(n => n.Name))}.");
    }

    /// <summary>The reference config name of a kernel type.</summary>
    public static string ToConfigName(this BlurKernelType type)
    {
        foreach (var (n, t) in Names) if (t == type) return n;
        throw new ArgumentOutOfRangeException(nameof(type), $"Unknown kernel type {type}.");
    }
}
