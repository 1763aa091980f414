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

    /// <summary>The path of the first asset present; otherwise an error naming every accepted file and its source.</summary>
    public string Require(params ModelAsset[] assets)
    {
        if (assets.Length == 0) throw new ArgumentException("No asset given.", nameof(assets));
        return Find(assets) ?? throw Missing([assets]);
    }

    /// <summary>
    /// The paths of all <paramref name="assets"/>, each required. When any is missing, one error lists every missing
    /// file at once (not the first only) with the <c>hfdiff models fetch</c> command that gets them.
    /// </summary>
    public string[] RequireAll(params ModelAsset[] assets)
    {
        var missing = assets.Where(a => Find(a) is null).Select(a => new[] { a }).ToList();
        if (missing.Count > 0) throw Missing(missing);
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
