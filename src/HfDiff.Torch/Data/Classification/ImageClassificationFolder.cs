// Folder-per-class image dataset, the layout of torchvision.datasets.ImageFolder (pytorch/vision,
// torchvision/datasets/folder.py: find_classes / make_dataset), which ImageNet's train/ and val/ folders use.
namespace HfDiff.Torch.Data.Classification;

/// <summary>
/// An ImageNet-style dataset: <c>root/&lt;class&gt;/**/&lt;image&gt;</c>. Classes are the sub-folder names sorted by ordinal
/// (code-point) order, as Python's <c>sorted</c> gives, and their index is the position in that order — the class
/// indices of torchvision's <c>ImageFolder</c>. Files are found recursively, with torchvision's extensions
/// (<see cref="ImageExtensions"/>, case-insensitive), sorted by folder then file name. Only the listing is done here;
/// decoding happens in <see cref="ClassificationBatchLoader"/>.
/// </summary>
public sealed class ImageClassificationFolder
{
    /// <summary>torchvision's <c>IMG_EXTENSIONS</c>.</summary>
    public static readonly IReadOnlySet<string> ImageExtensions =
        new HashSet<string>([".jpg", ".jpeg", ".png", ".ppm", ".bmp", ".pgm", ".tif", ".tiff", ".webp"], StringComparer.OrdinalIgnoreCase);

    public string Root { get; }
    /// <summary>Class folder names; the index of a name is its label.</summary>
    public IReadOnlyList<string> Classes { get; }
    public IReadOnlyList<ImageClassificationSample> Samples { get; }
    public int Count => Samples.Count;

    /// <summary>Lists <paramref name="root"/>. Throws naming the folder when it is missing, has no class folders, or a class folder has no images.</summary>
    public ImageClassificationFolder(string root)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(root);
        Root = Path.GetFullPath(root);
        if (!Directory.Exists(Root))
            throw new DirectoryNotFoundException($"Image folder '{Root}' does not exist.");
        var classDirs = Directory.GetDirectories(Root).OrderBy(Path.GetFileName, StringComparer.Ordinal).ToArray();
        if (classDirs.Length == 0)
            throw new InvalidDataException($"Image folder '{Root}' has no class sub-folders; expected one folder per class (ImageNet layout: root/<class>/<image>).");

        var classes = new List<string>(classDirs.Length);
        var samples = new List<ImageClassificationSample>();
        foreach (var dir in classDirs)
        {
            int label = classes.Count;
            classes.Add(Path.GetFileName(dir));
            int before = samples.Count;
            var files = Directory.EnumerateFiles(dir, "*", new EnumerationOptions { RecurseSubdirectories = true, IgnoreInaccessible = true, AttributesToSkip = 0 })
                .Where(f => ImageExtensions.Contains(Path.GetExtension(f)))
                .OrderBy(f => Path.GetDirectoryName(f), StringComparer.Ordinal)
                .ThenBy(Path.GetFileName, StringComparer.Ordinal);
            foreach (var f in files) samples.Add(new ImageClassificationSample(f, label));
            if (samples.Count == before)
                throw new InvalidDataException($"Class folder '{dir}' has no images (expected files ending in {string.Join(", ", ImageExtensions.Order(StringComparer.Ordinal))}).");
        }
        Classes = classes;
        Samples = samples;
    }

    /// <summary>Throws unless <paramref name="other"/> has the same classes in the same order (e.g. a validation folder vs the training folder).</summary>
    public void RequireSameClasses(ImageClassificationFolder other)
    {
        ArgumentNullException.ThrowIfNull(other);
        if (Classes.SequenceEqual(other.Classes, StringComparer.Ordinal)) return;
        var onlyHere = Classes.Except(other.Classes, StringComparer.Ordinal).Take(5).ToList();
        var onlyThere = other.Classes.Except(Classes, StringComparer.Ordinal).Take(5).ToList();
        throw new InvalidDataException(
            $"Image folder '{other.Root}' has {other.Classes.Count} classes but '{Root}' has {Classes.Count}; the class folders must be the same."
            + (onlyHere.Count > 0 ? $" Only in '{Root}': {string.Join(", ", onlyHere)}." : "")
            + (onlyThere.Count > 0 ? $" Only in '{other.Root}': {string.Join(", ", onlyThere)}." : ""));
    }
}
