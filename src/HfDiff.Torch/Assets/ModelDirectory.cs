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
        return Find(assets) ?? throw new ModelAssetMissingException(MissingMessage(assets));
    }

    string MissingMessage(ModelAsset[] assets)
    {
        var what = assets[0].UsedBy;
        var lines = assets.Select(a => $"  {a.FileName}  (from {a.Source})");
        return $"{what} needs {(assets.Length == 1 ? "this file" : "one of these files")} in the model directory '{Root}':\n"
             + string.Join("\n", lines)
             + $"\nDownload it there, or point --models / ${EnvironmentVariable} at the folder that has it.";
    }
}
