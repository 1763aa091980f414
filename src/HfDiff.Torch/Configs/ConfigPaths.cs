namespace HfDiff.Torch.Configs;

/// <summary>Where a file named inside a config file is looked for.</summary>
internal static class ConfigPaths
{
    /// <summary>
    /// <paramref name="path"/> as given (full path against the working folder), then, when it is relative, beside the
    /// config file <paramref name="configPath"/>: the order every ResShift/SinSR YAML path (e.g. <c>ckpt_path</c>) is tried in.
    /// </summary>
    public static List<string> Candidates(string path, string configPath)
    {
        var candidates = new List<string> { Path.GetFullPath(path) };
        if (!Path.IsPathRooted(path)) candidates.Add(Path.GetFullPath(Path.Combine(Path.GetDirectoryName(Path.GetFullPath(configPath))!, path)));
        return candidates;
    }
}
