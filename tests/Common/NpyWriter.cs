using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;

namespace HfDiff.Tests.Common;

/// <summary>Minimal .npy (format 1.0) / .npz writers for little-endian float64 arrays (test inputs written from fixtures).</summary>
public static class NpyWriter
{
    public static byte[] Float64(int[] shape, double[] rowMajor, bool fortranOrder = false)
    {
        string shapeText = shape.Length == 1 ? $"({shape[0]},)" : "(" + string.Join(", ", shape) + ")";
        string dict = $"{{'descr': '<f8', 'fortran_order': {(fortranOrder ? "True" : "False")}, 'shape': {shapeText}, }}";
        int total = 10 + dict.Length + 1;
        dict = dict.PadRight(dict.Length + (64 - total % 64) % 64) + "\n";
        var ms = new MemoryStream();
        ms.Write([0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y', 1, 0]);
        ms.Write(BitConverter.GetBytes((ushort)dict.Length));
        ms.Write(Encoding.ASCII.GetBytes(dict));
        var values = rowMajor;
        if (fortranOrder && shape.Length == 2)
        {
            values = new double[rowMajor.Length];
            for (int c = 0, k = 0; c < shape[1]; c++)
                for (int r = 0; r < shape[0]; r++, k++) values[k] = rowMajor[r * shape[1] + c];
        }
        var b = new byte[8];
        foreach (var v in values) { BinaryPrimitives.WriteDoubleLittleEndian(b, v); ms.Write(b); }
        return ms.ToArray();
    }

    /// <summary>Writes BasicSR's <c>niqe_pris_params.npz</c> layout (mu_pris_param (36,), cov_pris_param (36, 36)).</summary>
    public static void WriteNiqeNpz(string path, double[] mu, double[] cov)
    {
        using var zip = ZipFile.Open(path, ZipArchiveMode.Create);
        foreach (var (name, bytes) in new[] { ("mu_pris_param.npy", Float64([mu.Length], mu)), ("cov_pris_param.npy", Float64([mu.Length, mu.Length], cov)) })
        {
            using var s = zip.CreateEntry(name, CompressionLevel.Optimal).Open();
            s.Write(bytes);
        }
    }
}
