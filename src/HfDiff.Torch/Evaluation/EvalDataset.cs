namespace HfDiff.Torch.Evaluation;

/// <summary>One test image: its name stem (the row key), the LR file and, where the set has one, the GT file.</summary>
public sealed record EvalImage(string Stem, string LrPath, string? GtPath);

/// <summary>
/// A test set in the layout of the SR benchmarks: <c>lr/</c> (or <c>lq/</c>) with the low-resolution inputs and
/// optionally <c>gt/</c> (or <c>hr/</c>) with the ground truth, paired by file-name stem (RealSet65-style sets have no GT).
/// A folder without these sub-folders is taken as a folder of LR images without GT.
/// </summary>
public sealed record EvalDataset(string Name, string LrDir, string? GtDir, IReadOnlyList<EvalImage> Images)
{
    static readonly string[] Extensions = [".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff", ".webp"];

    public bool HasGt => GtDir is not null;

    public static EvalDataset FromFolder(string name, string dir)
    {
        EvalNames.Check(name, "dataset");
        if (!Directory.Exists(dir)) throw new DirectoryNotFoundException($"Dataset '{name}': folder '{dir}' does not exist.");
        string? Sub(params string[] names) => names.Select(n => Path.Combine(dir, n)).FirstOrDefault(Directory.Exists);
        string lrDir = Sub("lr", "lq", "LR", "LQ") ?? dir;
        string? gtDir = Sub("gt", "hr", "GT", "HR");
        var lr = ListImages(lrDir);
        if (lr.Count == 0) throw new InvalidDataException($"Dataset '{name}': no images in '{lrDir}'.");
        var dup = lr.GroupBy(p => Path.GetFileNameWithoutExtension(p), StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1);
        if (dup is not null) throw new InvalidDataException($"Dataset '{name}': two LR images share the name '{dup.Key}' ({string.Join(", ", dup.Select(Path.GetFileName))}).");
        Dictionary<string, string>? gt = null;
        if (gtDir is not null)
            gt = ListImages(gtDir).GroupBy(p => Path.GetFileNameWithoutExtension(p), StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.First(), StringComparer.Ordinal);
        var images = new List<EvalImage>();
        var missing = new List<string>();
        foreach (var p in lr)
        {
            string stem = Path.GetFileNameWithoutExtension(p);
            string? g = null;
            if (gt is not null && !gt.TryGetValue(stem, out g) && !gt.TryGetValue(GtStem(stem), out g)) missing.Add(Path.GetFileName(p));
            images.Add(new EvalImage(stem, p, g));
        }
        if (missing.Count > 0)
            throw new InvalidDataException($"Dataset '{name}': no GT in '{gtDir}' for {missing.Count} LR image(s): {string.Join(", ", missing.Take(10))}{(missing.Count > 10 ? ", …" : "")}.");
        return new EvalDataset(name, lrDir, gtDir, images);
    }

    /// <summary>RealSR names its LR files <c>X_LR4</c> and the GT <c>X_HR</c>; the shared stem is tried too.</summary>
    static string GtStem(string lrStem)
    {
        foreach (var tag in new[] { "_LR4", "_LR3", "_LR2", "x4", "x2", "_lq", "_lr" })
            if (lrStem.EndsWith(tag, StringComparison.Ordinal)) return lrStem[..^tag.Length] + (tag.StartsWith("_LR", StringComparison.Ordinal) ? "_HR" : "");
        return lrStem;
    }

    static List<string> ListImages(string dir) =>
        Directory.EnumerateFiles(dir).Where(p => Extensions.Contains(Path.GetExtension(p).ToLowerInvariant()))
            .OrderBy(p => Path.GetFileName(p), StringComparer.Ordinal).ToList();

    /// <summary>The images of shard <paramref name="shard"/> (every <paramref name="count"/>-th image of the sorted list, from
    /// <paramref name="shard"/>): a deterministic split whatever the machine.</summary>
    public EvalDataset Shard(int shard, int count)
    {
        if (count < 1 || shard < 0 || shard >= count) throw new ArgumentOutOfRangeException(nameof(shard), $"shard must be i/N with 0 <= i < N; got {shard}/{count}.");
        return this with { Images = Images.Where((_, i) => i % count == shard).ToList() };
    }
}

/// <summary>Model and dataset names become folder and column names: keep them plain.</summary>
public static class EvalNames
{
    public static void Check(string name, string what)
    {
        if (string.IsNullOrWhiteSpace(name) || name.Any(c => !(char.IsLetterOrDigit(c) || c is '-' or '_' or '.')) || name.StartsWith('.'))
            throw new ArgumentException($"The {what} name '{name}' must be letters, digits, '-', '_' or '.' (it names folders and columns).");
    }
}
