using HfDiff.Torch.Imaging;

namespace HfDiff.Torch.Tests.Data.SrPairs;

/// <summary>Temporary folders of small generated PNGs for the SrPairs tests.</summary>
internal sealed class SrPairTestImages : IDisposable
{
    public SrPairTestImages()
    {
        Root = Path.Combine(Path.GetTempPath(), $"hfdiff-srpairs-{Guid.NewGuid():N}");
        Directory.CreateDirectory(Root);
    }

    public string Root { get; }

    /// <summary>Interleaved RGB bytes of a reproducible noisy gradient (unique windows, so crops can be located).</summary>
    public static byte[] Pattern(int width, int height, int seed)
    {
        var rng = new Random(seed);
        var rgb = new byte[width * height * 3];
        for (int y = 0; y < height; y++)
            for (int x = 0; x < width; x++)
                for (int c = 0; c < 3; c++)
                    rgb[(y * width + x) * 3 + c] = (byte)((x * (c + 1) * 3 + y * 2 + rng.Next(64)) & 0xff);
        return rgb;
    }

    /// <summary>Writes a PNG at <paramref name="relativePath"/> and returns its full path.</summary>
    public string Png(string relativePath, int width, int height, int seed = 1)
    {
        var path = Path.Combine(Root, relativePath);
        ImageIO.WritePng(Pattern(width, height, seed), width, height, path);
        return path;
    }

    /// <summary>Writes a file with the given bytes (e.g. a corrupt image).</summary>
    public string Raw(string relativePath, byte[] bytes)
    {
        var path = Path.Combine(Root, relativePath);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllBytes(path, bytes);
        return path;
    }

    /// <summary>A PNG cut short: valid header, truncated data.</summary>
    public string TruncatedPng(string relativePath, int width, int height)
    {
        var good = Png(relativePath + ".full.png", width, height);
        var bytes = File.ReadAllBytes(good);
        File.Delete(good);
        return Raw(relativePath, bytes[..(bytes.Length / 3)]);
    }

    public void Dispose()
    {
        try { Directory.Delete(Root, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}
