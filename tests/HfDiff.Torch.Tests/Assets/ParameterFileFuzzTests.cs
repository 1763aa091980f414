using System.IO.Compression;
using System.Text;
using HfDiff.Tests.Common;
using HfDiff.Torch.Assets;
using HfDiff.Torch.Metrics;
using HfDiff.Torch.IO;

namespace HfDiff.Torch.Tests.Assets;

/// <summary>
/// Crafted NIQE parameter files (.npz, .mat), generated here: malformed npy shapes, decompression bombs, lying zip
/// headers and non-regular files are refused with one line naming the file; valid files still load exactly.
/// </summary>
[TestClass]
public class ParameterFileFuzzTests
{
    static string Temp(string name) => Path.Combine(Path.GetTempPath(), $"hfdiff-params-{Guid.NewGuid():N}-{name}");

    /// <summary>An npy (format 1.0) with a hand-written shape text and <paramref name="dataBytes"/> zero bytes of data.</summary>
    static byte[] Npy(string shapeText, int dataBytes, string descr = "<f8")
    {
        string dict = $"{{'descr': '{descr}', 'fortran_order': False, 'shape': {shapeText}, }}";
        dict = dict.PadRight(dict.Length + (64 - (10 + dict.Length + 1) % 64) % 64) + "\n";
        var ms = new MemoryStream();
        ms.Write([0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y', 1, 0]);
        ms.Write(BitConverter.GetBytes((ushort)dict.Length));
        ms.Write(Encoding.ASCII.GetBytes(dict));
        ms.Write(new byte[dataBytes]);
        return ms.ToArray();
    }

    static string WriteNpz(string name, params (string Entry, byte[] Bytes, CompressionLevel Level)[] entries)
    {
        var path = Temp(name);
        using var zip = ZipFile.Open(path, ZipArchiveMode.Create);
        foreach (var (entry, bytes, level) in entries)
        {
            using var s = zip.CreateEntry(entry, level).Open();
            s.Write(bytes);
        }
        return path;
    }

    static AssetFormatException AssertRefused(Func<object> read, string path, params string[] fragments)
    {
        try
        {
            var e = Assert.ThrowsExactly<AssetFormatException>(() => read());
            StringAssert.Contains(e.Message, path);
            foreach (var f in fragments) StringAssert.Contains(e.Message, f);
            Assert.DoesNotContain("\n", e.Message);
            return e;
        }
        finally { if (File.Exists(path) && path.StartsWith(Path.GetTempPath(), StringComparison.Ordinal)) File.Delete(path); }
    }

    [TestMethod]
    public void ReadNpz_BadShapes_RefusedNamingFileAndShape()
    {
        var cases = new (string Shape, string Fragment)[]
        {
            ("(-36,)", "'-36' is not a non-negative integer"),
            ("(36.0,)", "'36.0' is not a non-negative integer"),
            ("(99999999999,)", "'99999999999' is not a non-negative integer below 2^31"),
            ("(2147483647, 2147483647)", "npy data is truncated"),
            ("(36, 'a')", "is not a non-negative integer"),
            ("(" + string.Join(",", Enumerable.Repeat("1", 40)) + ")", "40 dimensions"),
        };
        foreach (var (shape, fragment) in cases)
        {
            var path = WriteNpz("shape.npz", ("mu_pris_param.npy", Npy(shape, 64), CompressionLevel.NoCompression));
            AssertRefused(() => NpyFile.ReadNpz(path), path, fragment);
        }
    }

    [TestMethod]
    public void ReadNpz_Python2LongShape_Loads()
    {
        // Python 2 numpy wrote "(36L,)"; the values must still come through.
        var path = WriteNpz("long.npz", ("mu.npy", Npy("(36L,)", 36 * 8), CompressionLevel.Optimal));
        try
        {
            var arrays = NpyFile.ReadNpz(path);
            CollectionAssert.AreEqual(new[] { 36 }, arrays["mu"].Shape);
        }
        finally { File.Delete(path); }
    }

    [TestMethod]
    public void ReadNpz_EntryClaimsHugeSize_RefusedBeforeInflating()
    {
        var path = WriteNpz("claims.npz", ("mu_pris_param.npy", Npy("(36,)", 36 * 8), CompressionLevel.Optimal));
        var bytes = File.ReadAllBytes(path);
        int cd = IndexOf(bytes, [0x50, 0x4b, 0x01, 0x02]);
        BitConverter.GetBytes(0xFFFFFFF0u).CopyTo(bytes, cd + 24);   // central directory: uncompressed size 4.3 GB
        File.WriteAllBytes(path, bytes);
        AssertRefused(() => NpyFile.ReadNpz(path), path, "4294967280");
    }

    [TestMethod]
    public void ReadNpz_DeflateBombBehindSmallClaim_FailsCrc()
    {
        // 8 MB of zeros deflate to a few kB; the headers are edited to claim 100 bytes: only 100 are inflated, and the
        // CRC-32 (of the 8 MB) tells the damage.
        var path = WriteNpz("bomb.npz", ("mu_pris_param.npy", Npy("(1048576,)", 8 << 20), CompressionLevel.Optimal));
        var bytes = File.ReadAllBytes(path);
        int local = IndexOf(bytes, [0x50, 0x4b, 0x03, 0x04]), cd = IndexOf(bytes, [0x50, 0x4b, 0x01, 0x02]);
        BitConverter.GetBytes(100u).CopyTo(bytes, local + 22);
        BitConverter.GetBytes(100u).CopyTo(bytes, cd + 24);
        File.WriteAllBytes(path, bytes);
        AssertRefused(() => NpyFile.ReadNpz(path), path, "CRC-32");
    }

    [TestMethod]
    public void ReadNpz_TotalAboveCap_Refused()
    {
        // Two honest 33 MB entries: each is under the cap, together they are not.
        var big = Npy("(4325376,)", 33 << 20);
        var path = WriteNpz("total.npz", ("a.npy", big, CompressionLevel.Fastest), ("b.npy", big, CompressionLevel.Fastest));
        AssertRefused(() => NpyFile.ReadNpz(path), path, "in total");
    }

    /// <summary>A level-5 MAT-file holding one miCOMPRESSED element whose zlib stream inflates to <paramref name="zeros"/> zero bytes.</summary>
    static byte[] MatBomb(long zeros)
    {
        var ms = new MemoryStream();
        var header = Encoding.ASCII.GetBytes("MATLAB 5.0 MAT-file, crafted".PadRight(116)).Concat(new byte[8]).ToArray();
        ms.Write(header);
        ms.Write([0x00, 0x01, (byte)'I', (byte)'M']);
        var z = new MemoryStream();
        using (var zs = new ZLibStream(z, CompressionLevel.Optimal, leaveOpen: true))
        {
            var chunk = new byte[1 << 20];
            for (long done = 0; done < zeros; done += chunk.Length) zs.Write(chunk, 0, (int)Math.Min(chunk.Length, zeros - done));
        }
        ms.Write(BitConverter.GetBytes(15));
        ms.Write(BitConverter.GetBytes((int)z.Length));
        ms.Write(z.ToArray());
        return ms.ToArray();
    }

    [TestMethod]
    public void MatFileRead_CompressedBomb_StopsAtCap()
    {
        var path = Temp("bomb.mat");
        File.WriteAllBytes(path, MatBomb(MatFile.MaxBytes + (1 << 20)));
        AssertRefused(() => MatFile.Read(path), path, "inflate to more than");
    }

    [TestMethod]
    public void ParameterFiles_DeviceOrFifo_RefusedWithoutReading()
    {
        if (!OperatingSystem.IsLinux()) Assert.Inconclusive("Skipped: /dev/zero and mkfifo are Linux here.");
        var fifo = Temp("fifo.mat");
        using (var mk = System.Diagnostics.Process.Start("mkfifo", [fifo])) mk.WaitForExit();
        try
        {
            foreach (var (path, read) in new (string, Func<object>)[]
                     {
                         ("/dev/zero", () => MatFile.Read("/dev/zero")), ("/dev/zero", () => NpyFile.ReadNpz("/dev/zero")),
                         ("/dev/zero", () => NpyFile.Read("/dev/zero")), (fifo, () => MatFile.Read(fifo)), (fifo, () => NiqeParameters.FromFile(fifo)),
                     })
            {
                var task = Task.Run(() => Assert.ThrowsExactly<AssetFormatException>(() => read()));
                Assert.IsTrue(task.Wait(TimeSpan.FromSeconds(60)), $"{path}: still reading");
                StringAssert.Contains(task.Result.Message, path);
                StringAssert.Contains(task.Result.Message, "not a regular file");
            }
        }
        finally { File.Delete(fifo); }
    }

    [TestMethod]
    public void FromNpz_ValidFile_LoadsExactly()
    {
        var mu = Enumerable.Range(0, 36).Select(i => i * 0.25 - 3).ToArray();
        var cov = Enumerable.Range(0, 36 * 36).Select(i => Math.Sin(i) * 1e-3).ToArray();
        var path = Temp("niqe_pris_params.npz");
        NpyWriter.WriteNiqeNpz(path, mu, cov);
        try
        {
            var p = NiqeParameters.FromNpz(path);
            CollectionAssert.AreEqual(mu, p.Mean.ToArray());
            CollectionAssert.AreEqual(cov, p.Covariance.ToArray());
        }
        finally { File.Delete(path); }
    }

    static int IndexOf(byte[] haystack, byte[] needle)
    {
        for (int i = 0; i + needle.Length <= haystack.Length; i++)
            if (haystack.AsSpan(i, needle.Length).SequenceEqual(needle)) return i;
        return -1;
    }
}
