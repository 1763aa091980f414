using HfDiff.Torch.Imaging;
using static TorchSharp.torch;

namespace HfDiff.Torch.Data.SrPairs;

/// <summary>
/// The HR (ground-truth) images of a folder, listed once and sorted by their path relative to the folder (ordinal, like
/// Python's <c>sorted</c>). Unreadable files (corrupt, truncated, not an image, over the pixel limit, vanished) do not
/// stop a run: <see cref="TryRead"/> reports them through <see cref="ImageSkipped"/> and <see cref="Skipped"/> and
/// returns false; a file that failed once is not read again. Thread-safe for one reader thread plus observers.
/// </summary>
public sealed class HrImageFolder
{
    readonly object _gate = new();
    readonly List<SkippedImage> _skipped = [];
    readonly HashSet<int> _failed = [];

    /// <exception cref="DirectoryNotFoundException">The folder does not exist.</exception>
    /// <exception cref="ArgumentException">The folder holds no file with one of the extensions.</exception>
    public HrImageFolder(string root, HrImageFolderOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(root);
        Options = options ?? new HrImageFolderOptions();
        Options.Validate();
        Root = Path.GetFullPath(root);
        if (!Directory.Exists(Root)) throw new DirectoryNotFoundException($"HR image folder '{Root}' does not exist.");

        var extensions = new HashSet<string>(Options.Extensions.Select(e => "." + e.TrimStart('.')), StringComparer.OrdinalIgnoreCase);
        Paths = Directory.EnumerateFiles(Root, "*", new EnumerationOptions { RecurseSubdirectories = Options.Recursive, IgnoreInaccessible = true, AttributesToSkip = FileAttributes.Hidden | FileAttributes.System })
            .Where(p => extensions.Contains(Path.GetExtension(p)))
            .Select(p => (Full: p, Rel: Path.GetRelativePath(Root, p).Replace('\\', '/')))
            .OrderBy(p => p.Rel, StringComparer.Ordinal)
            .Select(p => p.Full)
            .ToArray();
        if (Paths.Count == 0)
            throw new ArgumentException(
                $"HR image folder '{Root}' contains no images ({string.Join(", ", Options.Extensions)}){(Options.Recursive ? " in it or its subfolders" : " (subfolders not searched: Recursive = false)")}.",
                nameof(root));
    }

    HrImageFolder(string root, IReadOnlyList<string> paths, HrImageFolderOptions options)
    {
        Options = options;
        Root = root;
        Paths = paths;
    }

    /// <summary>
    /// An explicit list of HR image files instead of a folder listing (e.g. the rows of an ML.NET column), kept in the
    /// given order; duplicates are kept. <see cref="HrImageFolderOptions.Recursive"/> and
    /// <see cref="HrImageFolderOptions.Extensions"/> do not apply; <see cref="HrImageFolderOptions.ReadOptions"/> does.
    /// <see cref="Root"/> is the deepest folder holding every file.
    /// </summary>
    /// <exception cref="ArgumentException">The list is empty or an entry is blank.</exception>
    /// <exception cref="FileNotFoundException">A listed file does not exist (named with its index).</exception>
    public static HrImageFolder FromFiles(IEnumerable<string> files, HrImageFolderOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(files);
        options ??= new HrImageFolderOptions();
        options.Validate();
        var paths = new List<string>();
        foreach (var f in files)
        {
            if (string.IsNullOrWhiteSpace(f)) throw new ArgumentException($"HR image file {paths.Count} is blank.", nameof(files));
            var full = Path.GetFullPath(f);
            if (!File.Exists(full)) throw new FileNotFoundException($"HR image file {paths.Count} '{f}' does not exist.", full);
            paths.Add(full);
        }
        if (paths.Count == 0) throw new ArgumentException("The list of HR image files is empty.", nameof(files));
        return new HrImageFolder(CommonFolder(paths), paths.ToArray(), options);
    }

    static string CommonFolder(IReadOnlyList<string> paths)
    {
        var common = Path.GetDirectoryName(paths[0])!;
        foreach (var p in paths.Skip(1))
            while (!IsUnder(p, common))
            {
                // Files on different drives (Windows) share no folder: the first file's drive root stands for them.
                if (Path.GetDirectoryName(common) is not { } parent) return common;
                common = parent;
            }
        return common;
    }

    static bool IsUnder(string path, string folder)
    {
        var prefix = Path.EndsInDirectorySeparator(folder) ? folder : folder + Path.DirectorySeparatorChar;
        return path.StartsWith(prefix, OperatingSystem.IsWindows() ? StringComparison.OrdinalIgnoreCase : StringComparison.Ordinal);
    }

    public HrImageFolderOptions Options { get; }

    /// <summary>The folder as a full path (for <see cref="FromFiles"/>, the deepest folder holding every file).</summary>
    public string Root { get; }

    /// <summary>Full paths of the listed images, sorted by relative path.</summary>
    public IReadOnlyList<string> Paths { get; }

    public int Count => Paths.Count;

    /// <summary>
    /// Raised (on the reading thread — the prefetch worker for <see cref="SrPairLoader"/>) the first time a file fails
    /// to read. Handlers must not throw.
    /// </summary>
    public event Action<SkippedImage>? ImageSkipped;

    /// <summary>Every file skipped so far, in the order they failed (a snapshot).</summary>
    public IReadOnlyList<SkippedImage> Skipped
    {
        get { lock (_gate) return _skipped.ToArray(); }
    }

    /// <summary>Number of files skipped so far.</summary>
    public int SkippedCount
    {
        get { lock (_gate) return _skipped.Count; }
    }

    /// <summary>Whether file <paramref name="index"/> already failed (it is then skipped without reading).</summary>
    public bool IsSkipped(int index)
    {
        lock (_gate) return _failed.Contains(index);
    }

    /// <summary>
    /// Reads image <paramref name="index"/> as <c>(1, 3, H, W)</c> float32 in [0, 1] on the CPU (8-bit values are u8/255).
    /// Returns false, with <paramref name="image"/> null, when the file cannot be read (reported once) or failed before.
    /// The caller owns the returned tensor.
    /// </summary>
    public bool TryRead(int index, out Tensor? image)
    {
        if ((uint)index >= (uint)Paths.Count) throw new ArgumentOutOfRangeException(nameof(index), $"index must be in [0, {Paths.Count}); got {index}.");
        image = null;
        if (IsSkipped(index)) return false;
        var path = Paths[index];
        try
        {
            image = ImageIO.ReadTensor(path, Options.ReadOptions);
            return true;
        }
        catch (ImageDecodeException e)
        {
            Report(index, new SkippedImage(path, e.Reason));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            Report(index, new SkippedImage(path, e.Message));
        }
        catch (Exception e) when (e is not OperationCanceledException and not ThreadInterruptedException)
        {
            // A decoder bug on one odd file must not end a training run either.
            Report(index, new SkippedImage(path, $"unexpected decoder error ({e.GetType().Name}: {e.Message})."));
        }
        return false;
    }

    void Report(int index, SkippedImage skipped)
    {
        lock (_gate)
        {
            if (!_failed.Add(index)) return;
            _skipped.Add(skipped);
        }
        ImageSkipped?.Invoke(skipped);
    }
}
