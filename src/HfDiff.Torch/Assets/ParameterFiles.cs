using HfDiff.Torch.Imaging;

namespace HfDiff.Torch.Assets;

/// <summary>
/// Opening small parameter files (.mat, .npy, .npz) safely: regular files only (a FIFO would block, <c>/dev/zero</c>
/// never ends) and no more than a cap read into memory. Problems are <see cref="AssetFormatException"/>s naming the file.
/// </summary>
internal static class ParameterFiles
{
    public static FileStream OpenForRead(string path, string what)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"{Capitalized(what)} '{path}' does not exist.", path);
        if (RegularFile.Check(path) == false)
            throw new AssetFormatException($"'{path}' is not a regular file (a FIFO, device or socket); give the {what} itself.");
        try { return new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new AssetFormatException($"Cannot read {what} '{path}': {e.Message}", e);
        }
    }

    public static byte[] ReadAllBytes(string path, string what, long maxBytes)
    {
        using var fs = OpenForRead(path, what);
        if (fs.Length > maxBytes)
            throw new AssetFormatException($"'{path}' has {fs.Length} bytes; a {what} of parameters is far smaller (at most {maxBytes} are read).");
        try
        {
            var bytes = new byte[fs.Length];
            fs.ReadExactly(bytes);
            return bytes;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new AssetFormatException($"Cannot read {what} '{path}': {e.Message}", e);
        }
    }

    static string Capitalized(string s) => s.Length == 0 ? s : char.ToUpperInvariant(s[0]) + s[1..];
}
