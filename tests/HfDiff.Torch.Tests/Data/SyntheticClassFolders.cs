using HfDiff.Torch.Imaging;

namespace HfDiff.Torch.Tests.Data;

/// <summary>
/// Writes tiny ImageNet-layout folders into a temp directory: class "solid" (one random colour) and class "striped"
/// (a random colour and its opposite, 128 levels apart per channel, in horizontal or vertical stripes 2–4 px wide). Deleted on dispose.
/// </summary>
public sealed class SyntheticClassFolders : IDisposable
{
    public string Root { get; }
    public string Train => Path.Combine(Root, "train");
    public string Val => Path.Combine(Root, "val");

    public SyntheticClassFolders(int trainPerClass, int valPerClass, int size = 32, int seed = 1)
    {
        Root = Path.Combine(Path.GetTempPath(), "hfdiff-cls-" + Guid.NewGuid().ToString("N"));
        var rng = new Random(seed);
        Write(Train, trainPerClass, size, rng);
        Write(Val, valPerClass, size, rng);
    }

    static void Write(string root, int perClass, int size, Random rng)
    {
        for (int i = 0; i < perClass; i++)
        {
            WriteImage(Path.Combine(root, "solid", $"img{i:D3}.png"), Solid(size, rng), size);
            WriteImage(Path.Combine(root, "striped", $"img{i:D3}.png"), Striped(size, rng), size);
        }
    }

    static void WriteImage(string path, byte[] rgb, int size)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        ImageIO.WritePng(rgb, size, size, path);
    }

    static byte[] Colour(Random rng) => [(byte)rng.Next(256), (byte)rng.Next(256), (byte)rng.Next(256)];

    static byte[] Solid(int size, Random rng)
    {
        var c = Colour(rng);
        var rgb = new byte[size * size * 3];
        for (int p = 0; p < size * size; p++) c.CopyTo(rgb, p * 3);
        return rgb;
    }

    static byte[] Striped(int size, Random rng)
    {
        var a = Colour(rng);
        byte[] b = [(byte)(a[0] ^ 0x80), (byte)(a[1] ^ 0x80), (byte)(a[2] ^ 0x80)]; // 128 levels apart in every channel
        int width = rng.Next(2, 5);
        bool vertical = rng.Next(2) == 0;
        var rgb = new byte[size * size * 3];
        for (int y = 0; y < size; y++)
            for (int x = 0; x < size; x++)
                ((((vertical ? x : y) / width) % 2 == 0) ? a : b).CopyTo(rgb, (y * size + x) * 3);
        return rgb;
    }

    /// <summary>Adds an unreadable ".png" (random bytes) to a class folder of <paramref name="split"/>; returns its path.</summary>
    public string AddCorruptFile(string split, string className = "striped", string name = "corrupt.png")
    {
        var path = Path.Combine(Root, split, className, name);
        File.WriteAllBytes(path, [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 1, 2, 3, 4, 5, 6, 7, 8]);
        return path;
    }

    public void Dispose()
    {
        try { Directory.Delete(Root, recursive: true); } catch (IOException) { /* temp dir */ }
    }
}
