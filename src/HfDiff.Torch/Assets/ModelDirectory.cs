namespace HfDiff.Torch.Assets;

/// <summary>
/// The one folder that holds every pretrained asset under its official file name. Resolution order:
/// an explicit folder (CLI <c>--models DIR</c>, options), else <c>$HFDIFF_MODELS</c>, else <c>~/.hfdiff/models</c>.
/// </summary>
public sealed class ModelDirectory
{
    public const string EnvironmentVariable = "HFDIFF_MODELS";

    public static string DefaultPath =>
        Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".hfdiff", "models");

    public string Root { get; }

    public ModelDirectory(string root) => Root = Path.GetFullPath(root);

    /// <summary>Explicit folder first, then the environment variable, then the default under the user's home.</summary>
    public static ModelDirectory Resolve(string? explicitRoot = null)
    {
        if (!string.IsNullOrWhiteSpace(explicitRoot)) return new ModelDirectory(explicitRoot);
        var env = Environment.GetEnvironmentVariable(EnvironmentVariable);
        return new ModelDirectory(string.IsNullOrWhiteSpace(env) ? DefaultPath : env);
    }

    public string PathOf(string fileName) => Path.Combine(Root, fileName);

    /// <summary>The first of <paramref name="assets"/> present in the folder, or null.</summary>
    public string? Find(params ModelAsset[] assets) =>
        assets.Select(a => PathOf(a.FileName)).FirstOrDefault(File.Exists);

    /// <summary>
    /// The path of the first asset present; otherwise an error naming every accepted file and its source. A file whose
    /// publisher gives a SHA-256 is verified (see <see cref="VerifyChecksum"/>).
    /// </summary>
    public string Require(params ModelAsset[] assets)
    {
        if (assets.Length == 0) throw new ArgumentException("No asset given.", nameof(assets));
        var asset = assets.FirstOrDefault(a => File.Exists(PathOf(a.FileName))) ?? throw Missing([assets]);
        var path = PathOf(asset.FileName);
        VerifyChecksum(asset, path);
        return path;
    }

    /// <summary>File in the model directory that remembers verified checksums by (full path, size, modification time).</summary>
    public const string VerifiedCacheFileName = ".hfdiff-verified";

    /// <summary>
    /// Checks <paramref name="path"/> against <paramref name="asset"/>'s published SHA-256 (nothing to do when it has
    /// none). The first check hashes the file and remembers the result in <see cref="VerifiedCacheFileName"/>, keyed by
    /// full path, size and modification time, so later loads of the unchanged file cost nothing; a file that was
    /// replaced or modified is hashed again. A folder that cannot be written only loses the memory, not the check.
    /// </summary>
    /// <exception cref="AssetFormatException">The file's SHA-256 differs from the published one, or it is not a regular file.</exception>
    public void VerifyChecksum(ModelAsset asset, string path)
    {
        ArgumentNullException.ThrowIfNull(asset);
        ArgumentNullException.ThrowIfNull(path);
        if (asset.Sha256 is not { Length: > 0 } expected) return;
        if (Imaging.RegularFile.Check(path) == false)
            throw new AssetFormatException($"'{path}' is not a regular file (a FIFO, device or socket); it should be {asset.FileName} itself.");
        var info = new FileInfo(path);
        string key = $"{info.FullName}\t{info.Length}\t{info.LastWriteTimeUtc.Ticks}";
        string entry = $"{expected.ToLowerInvariant()}\t{key}";
        var cachePath = System.IO.Path.Combine(Root, VerifiedCacheFileName);
        var cached = ReadCache(cachePath);
        if (cached.Contains(entry)) return;

        string actual;
        using (var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 20))
            actual = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(stream));
        if (!string.Equals(actual, expected, StringComparison.OrdinalIgnoreCase))
            throw new AssetFormatException(
                $"'{path}': SHA-256 {actual} differs from the published {expected.ToLowerInvariant()}; the file is damaged or not the official {asset.FileName}. " +
                $"Delete it and get it again with: {FetchCommand([asset])}");
        Remember(cachePath, cached, info, entry);
    }

    /// <summary>
    /// Records that <paramref name="path"/>, as it is now, holds <paramref name="asset"/>'s published content, without
    /// hashing it: for a file checked another way (e.g. a download whose SHA-256 was verified) or a stand-in the user
    /// vouches for, such as a reduced test network under an official name.
    /// </summary>
    public void RememberVerified(ModelAsset asset, string path)
    {
        ArgumentNullException.ThrowIfNull(asset);
        if (asset.Sha256 is not { Length: > 0 } expected) return;
        var info = new FileInfo(path);
        var cachePath = System.IO.Path.Combine(Root, VerifiedCacheFileName);
        Remember(cachePath, ReadCache(cachePath), info, $"{expected.ToLowerInvariant()}\t{info.FullName}\t{info.Length}\t{info.LastWriteTimeUtc.Ticks}");
    }

    static void Remember(string cachePath, HashSet<string> cached, FileInfo info, string entry)
    {
        if (info.FullName.Contains('\n') || info.FullName.Contains('\t')) return;
        // Keep one line per file; rewrite atomically so concurrent readers see the old or the new list.
        var lines = cached.Where(l => l.Split('\t') is { Length: 4 } f && f[1] != info.FullName).TakeLast(200).Append(entry).ToList();
        var tmp = cachePath + $".{Environment.ProcessId}.tmp";
        try
        {
            File.WriteAllLines(tmp, lines);
            File.Move(tmp, cachePath, overwrite: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            try { File.Delete(tmp); } catch (Exception d) when (d is IOException or UnauthorizedAccessException) { }
        }
    }

    static HashSet<string> ReadCache(string cachePath)
    {
        try
        {
            var info = new FileInfo(cachePath);
            if (!info.Exists || info.Length > 1 << 20 || Imaging.RegularFile.Check(cachePath) == false) return [];
            return new HashSet<string>(File.ReadAllLines(cachePath), StringComparer.Ordinal);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return []; }
    }

    /// <summary>
    /// The paths of all <paramref name="assets"/>, each required. When any is missing, one error lists every missing
    /// file at once (not the first only) with the <c>hfdiff models fetch</c> command that gets them.
    /// </summary>
    public string[] RequireAll(params ModelAsset[] assets)
    {
        var missing = assets.Where(a => Find(a) is null).Select(a => new[] { a }).ToList();
        if (missing.Count > 0) throw Missing(missing);
        foreach (var a in assets) VerifyChecksum(a, PathOf(a.FileName));
        return assets.Select(a => PathOf(a.FileName)).ToArray();
    }

    /// <summary>The error for <paramref name="missing"/> requirements (each: the files that would satisfy it).</summary>
    public ModelAssetMissingException Missing(IReadOnlyList<ModelAsset[]> missing)
    {
        var fetch = FetchCommand(missing.Select(m => m[0]).ToList());
        var users = string.Join(", ", missing.SelectMany(m => m).Select(a => a.UsedBy).Distinct());
        var lines = missing.Select(m => "  " + string.Join("  or  ", m.Select(a => $"{a.FileName}  (from {a.Source})")));
        int files = missing.Count;
        var message = $"{users}: {(files == 1 ? "a file is" : $"{files} files are")} missing from the model directory '{Root}':\n"
                    + string.Join("\n", lines)
                    + $"\nGet {(files == 1 ? "it" : "them")} with: {fetch}"
                    + $"\n(or point --models / ${EnvironmentVariable} at the folder that has {(files == 1 ? "it" : "them")}).";
        var names = string.Join(", ", missing.Select(m => string.Join(" or ", m.Select(a => a.FileName))));
        var summary = $"missing {names} in '{Root}' (get {(files == 1 ? "it" : "them")} with: {fetch})";
        return new ModelAssetMissingException(message, summary, Root, missing, fetch);
    }

    /// <summary><c>hfdiff models fetch ALIAS</c> when one alias names exactly these files, else the file names.</summary>
    string FetchCommand(IReadOnlyList<ModelAsset> assets)
    {
        var alias = AssetAliases.Table.FirstOrDefault(t => t.Assets.Length == assets.Count && t.Assets.All(assets.Contains)).Alias;
        var names = alias ?? string.Join(" ", assets.Select(a => a.FileName));
        bool isDefault = string.Equals(Path.GetFullPath(DefaultPath), Root, StringComparison.Ordinal)
                         && string.IsNullOrWhiteSpace(Environment.GetEnvironmentVariable(EnvironmentVariable));
        bool isEnv = string.Equals(Environment.GetEnvironmentVariable(EnvironmentVariable) is { Length: > 0 } env ? Path.GetFullPath(env) : null, Root, StringComparison.Ordinal);
        return $"hfdiff models fetch {names}" + (isDefault || isEnv ? "" : $" --models '{Root}'");
    }
}
