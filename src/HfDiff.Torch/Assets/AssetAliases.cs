namespace HfDiff.Torch.Assets;

/// <summary>
/// Short names for <see cref="KnownAssets"/> (<c>hfdiff models fetch sinsr vq-f4</c>). An alias may stand for several
/// files (e.g. <c>lpips-alex</c> = the AlexNet trunk and the LPIPS linear layers). File names are always accepted too.
/// </summary>
public static class AssetAliases
{
    /// <summary>The name that means every known asset.</summary>
    public const string All = "all";

    /// <summary>Alias → assets, in the order they are listed in help and errors.</summary>
    public static IReadOnlyList<(string Alias, ModelAsset[] Assets)> Table { get; } =
    [
        ("sinsr", [KnownAssets.SinSrV1, KnownAssets.VqF4]),
        ("sinsr-v1", [KnownAssets.SinSrV1]),
        ("sinsr-v2", [KnownAssets.SinSrV2]),
        ("resshift", [KnownAssets.ResShiftUnet, KnownAssets.VqF4]),
        ("vq-f4", [KnownAssets.VqF4]),
        ("niqe", [KnownAssets.NiqeMatlabParams]),
        ("niqe-basicsr", [KnownAssets.NiqeBasicSrParams]),
        ("lpips-alex", [KnownAssets.TorchvisionAlexNet, KnownAssets.LpipsAlexLinear]),
        ("lpips-vgg", [KnownAssets.TorchvisionVgg16, KnownAssets.LpipsVggLinear]),
        ("clip-rn50", [KnownAssets.ClipRn50, KnownAssets.ClipBpeVocab]),
        ("clipiqa", [KnownAssets.ClipRn50, KnownAssets.ClipBpeVocab]),
        ("clipiqa+", [KnownAssets.ClipRn50, KnownAssets.ClipBpeVocab, KnownAssets.ClipIqaPlusPrompts]),
        ("musiq", [KnownAssets.MusiqKoniq]),
        ("dinov2-s14", [KnownAssets.Dinov2VitS14]),
        ("dinov2-b14", [KnownAssets.Dinov2VitB14]),
        ("dinov2-l14", [KnownAssets.Dinov2VitL14]),
        ("dinov2-s14-reg4", [KnownAssets.Dinov2VitS14Reg4]),
        ("dinov2-b14-reg4", [KnownAssets.Dinov2VitB14Reg4]),
    ];

    /// <summary>
    /// The assets named by <paramref name="names"/> (aliases, file names or <c>all</c>, case-insensitive), without
    /// duplicates, in order of first mention. Unknown names throw an <see cref="ArgumentException"/> listing them and every known name.
    /// </summary>
    public static IReadOnlyList<ModelAsset> Resolve(IEnumerable<string> names, IReadOnlyList<ModelAsset>? known = null)
    {
        known ??= KnownAssets.All;
        var result = new List<ModelAsset>();
        var unknown = new List<string>();
        foreach (var raw in names)
        {
            var name = raw.Trim();
            IEnumerable<ModelAsset>? hit = null;
            if (string.Equals(name, All, StringComparison.OrdinalIgnoreCase)) hit = known;
            else if (known.FirstOrDefault(a => string.Equals(a.FileName, name, StringComparison.OrdinalIgnoreCase)) is { } byFile) hit = [byFile];
            else if (Table.FirstOrDefault(t => string.Equals(t.Alias, name, StringComparison.OrdinalIgnoreCase)) is { Assets: not null } alias) hit = alias.Assets;
            if (hit is null) { unknown.Add(raw); continue; }
            foreach (var a in hit)
                if (!result.Contains(a)) result.Add(a);
        }
        if (unknown.Count > 0)
            throw new ArgumentException(
                $"Unknown model name{(unknown.Count == 1 ? "" : "s")}: {string.Join(", ", unknown.Select(u => $"'{u}'"))}.\n" + KnownNames(known));
        return result;
    }

    /// <summary>
    /// The name to give <c>hfdiff models fetch</c> for <paramref name="asset"/>: the alias with the fewest files that
    /// includes it (<c>dinov2-s14</c>, <c>lpips-alex</c>), else its file name (always accepted).
    /// </summary>
    public static string FetchNameFor(ModelAsset asset)
    {
        ArgumentNullException.ThrowIfNull(asset);
        return Table.Where(t => t.Assets.Contains(asset)).OrderBy(t => t.Assets.Length).Select(t => t.Alias).FirstOrDefault() ?? asset.FileName;
    }

    /// <summary>A listing of every accepted name: <c>all</c>, the aliases with their files, and the file names.</summary>
    public static string KnownNames(IReadOnlyList<ModelAsset>? known = null)
    {
        known ??= KnownAssets.All;
        int width = Table.Max(t => t.Alias.Length);
        return "Known names:\n"
             + $"  {All.PadRight(width)}  every file below\n"
             + string.Join("\n", Table.Select(t => $"  {t.Alias.PadRight(width)}  {string.Join(" + ", t.Assets.Select(a => a.FileName))}")) + "\n"
             + "or a file name:\n"
             + string.Join("\n", known.Select(a => $"  {a.FileName}"));
    }
}
