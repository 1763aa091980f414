using HfDiff.Torch.Assets;
using HfDiff.Torch.Pipelines;

namespace HfDiff.MLNet.SuperResolution;

/// <summary>
/// The weight files a <see cref="SuperResolver"/> built from given options will read, checked when the SR transform is
/// fitted: the transform builds its resolver at the first row, and a missing file would otherwise surface there, inside
/// <c>Evaluate</c> or a cursor. Which model-directory files are needed comes from the resolver itself
/// (<see cref="SuperResolver.RequiredModelDirectoryAssets"/>); explicit checkpoints must exist. Only presence is checked;
/// the files are read (and checksums verified) when the resolver is built.
/// </summary>
internal static class SuperResolveWeights
{
    /// <exception cref="ModelAssetMissingException">One or more files are missing; the message names them all.</exception>
    public static void RequirePresent(SuperResolverOptions options)
    {
        var absent = new List<string>();
        if (options.UnetCheckpoint is { } unet && !File.Exists(unet)) absent.Add($"UnetCheckpoint '{unet}'");
        if (options.AutoencoderCheckpoint is { } vq && !File.Exists(vq)) absent.Add($"AutoencoderCheckpoint '{vq}'");

        ModelAssetMissingException? fromDirectory = null;
        var needed = SuperResolver.RequiredModelDirectoryAssets(options);
        if (needed.Count > 0)
        {
            var dir = ModelDirectory.Resolve(options.ModelDirectory);
            var missing = needed.Where(a => dir.Find(a) is null).Select(a => new[] { a }).ToList();
            if (missing.Count > 0) fromDirectory = dir.Missing(missing);
        }

        if (absent.Count == 0)
        {
            if (fromDirectory is not null) throw fromDirectory;
            return;
        }
        var message = $"SuperResolve: {(absent.Count == 1 ? "a weight file does" : $"{absent.Count} weight files do")} not exist: {string.Join(", ", absent)}."
                      + (fromDirectory is null ? "" : "\n" + fromDirectory.Message);
        throw new ModelAssetMissingException(message);
    }
}
