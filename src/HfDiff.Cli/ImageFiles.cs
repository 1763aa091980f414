namespace HfDiff.Cli;

/// <summary>Image file discovery and SR/GT pairing by file name.</summary>
internal static class ImageFiles
{
    static readonly HashSet<string> Extensions = new(StringComparer.OrdinalIgnoreCase)
        { ".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff", ".webp", ".gif", ".tga", ".pbm", ".pgm", ".ppm" };

    public static bool IsImage(string path) => Extensions.Contains(Path.GetExtension(path));

    /// <summary>
    /// Image files of a folder (or the file itself), sorted by name (ordinal). A path that is neither is reported as a
    /// missing file when it names an image file, else as a missing file or folder; a FIFO or device is refused unread.
    /// </summary>
    public static List<string> List(string pathOrDir)
    {
        if (File.Exists(pathOrDir))
        {
            Torch.Imaging.RegularFile.Require(pathOrDir);
            return [pathOrDir];
        }
        if (!Directory.Exists(pathOrDir))
            throw IsImage(pathOrDir)
                ? new FileNotFoundException($"File not found: '{pathOrDir}'.", pathOrDir)
                : new FileNotFoundException($"No such file or folder: '{pathOrDir}'.", pathOrDir);
        return Directory.EnumerateFiles(pathOrDir).Where(IsImage).OrderBy(Path.GetFileName, StringComparer.Ordinal).ToList();
    }

    /// <summary>
    /// Pairs each SR image with the GT image of the same file name; when none, the GT image with the same name stem
    /// (SR outputs are often PNG where GT is JPEG). Every SR image without a partner is listed in one error.
    /// </summary>
    public static List<(string Sr, string Gt)> Pair(IReadOnlyList<string> sr, string gtDir)
    {
        var gt = List(gtDir);
        var byName = gt.ToDictionary(p => Path.GetFileName(p), StringComparer.Ordinal);
        var byStem = gt.GroupBy(p => Path.GetFileNameWithoutExtension(p), StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.ToList(), StringComparer.Ordinal);
        var pairs = new List<(string, string)>();
        var missing = new List<string>();
        foreach (var s in sr)
        {
            if (byName.TryGetValue(Path.GetFileName(s), out var g)) pairs.Add((s, g));
            else if (byStem.TryGetValue(Path.GetFileNameWithoutExtension(s), out var gs) && gs.Count == 1) pairs.Add((s, gs[0]));
            else missing.Add(Path.GetFileName(s));
        }
        if (missing.Count > 0)
            throw new CliUsageException($"{missing.Count} SR image(s) have no GT partner in '{gtDir}': {string.Join(", ", missing.Take(20))}{(missing.Count > 20 ? ", …" : "")}");
        return pairs;
    }
}
