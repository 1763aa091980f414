namespace HfDiff.Torch.Assets;

/// <summary>
/// Pretrained files are not in the model directory. The message lists every missing file (with its source), where we
/// looked and the <c>hfdiff models fetch</c> command that gets them; <see cref="Summary"/> says the same in one line.
/// </summary>
public sealed class ModelAssetMissingException : FileNotFoundException
{
    public ModelAssetMissingException(string message) : base(message) => Summary = message.Split('\n')[0];

    internal ModelAssetMissingException(string message, string summary, string root, IReadOnlyList<ModelAsset[]> missing, string fetchCommand)
        : base(message)
    {
        Summary = summary;
        Root = root;
        Missing = missing;
        FetchCommand = fetchCommand;
    }

    /// <summary>One line: what is missing, where, and the fetch command.</summary>
    public string Summary { get; }
    /// <summary>The model directory searched (null when unknown).</summary>
    public string? Root { get; }
    /// <summary>Each missing requirement: the files that would satisfy it (any one of them).</summary>
    public IReadOnlyList<ModelAsset[]> Missing { get; } = [];
    /// <summary>The command that downloads the missing files, e.g. <c>hfdiff models fetch lpips-alex</c>.</summary>
    public string? FetchCommand { get; }
}
