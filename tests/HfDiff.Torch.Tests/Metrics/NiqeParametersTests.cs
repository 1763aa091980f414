using HfDiff.Tests.Common;
using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;
using HfDiff.Torch.Assets;
using HfDiff.Torch.Metrics;
using HfDiff.Torch.IO;

namespace HfDiff.Torch.Tests.Metrics;

/// <summary>Loading the pristine NIQE model from pyiqa's .mat and BasicSR's .npz, written here from the fixture values.</summary>
[TestClass]
public class NiqeParametersTests
{
    static string TempDir() => Directory.CreateTempSubdirectory("hfdiff-niqe-params-").FullName;

    [TestMethod]
    [DataRow(false)]
    [DataRow(true)]
    public void FromMatFile_WrittenFromFixture_RoundTripsExactly(bool compressed)
    {
        var (mu, cov) = IqaFixture.NiqeParameterArrays();
        var dir = TempDir();
        try
        {
            var path = Path.Combine(dir, KnownAssets.NiqeMatlabParams.FileName);
            // MATLAB's file holds mu_prisparam as a 1×36 row and cov_prisparam as 36×36, column-major; a string
            // variable before them must be skipped.
            File.WriteAllBytes(path, MatV5.File(compressed,
                MatV5.CharMatrix("note", "pristine"),
                MatV5.DoubleMatrix("mu_prisparam", 1, 36, mu),
                MatV5.DoubleMatrix("cov_prisparam", 36, 36, cov)));
            var p = NiqeParameters.FromMatFile(path);
            CollectionAssert.AreEqual(mu, p.Mean.ToArray());
            CollectionAssert.AreEqual(cov, p.Covariance.ToArray());

            var fromDir = NiqeParameters.FromModelDirectory(new ModelDirectory(dir));
            CollectionAssert.AreEqual(cov, fromDir.Covariance.ToArray());
        }
        finally { Directory.Delete(dir, true); }
    }

    [TestMethod]
    [DataRow(false)]
    [DataRow(true)]
    public void FromNpz_WrittenFromFixture_RoundTripsExactly(bool fortranOrder)
    {
        var (mu, cov) = IqaFixture.NiqeParameterArrays();
        var dir = TempDir();
        try
        {
            var path = Path.Combine(dir, KnownAssets.NiqeBasicSrParams.FileName);
            using (var zip = ZipFile.Open(path, ZipArchiveMode.Create))
            {
                Add(zip, "mu_pris_param.npy", NpyWriter.Float64([36], mu, fortranOrder));
                Add(zip, "cov_pris_param.npy", NpyWriter.Float64([36, 36], cov, fortranOrder));
            }
            var p = NiqeParameters.FromNpz(path);
            CollectionAssert.AreEqual(mu, p.Mean.ToArray());
            CollectionAssert.AreEqual(cov, p.Covariance.ToArray());

            // Only the .npz is present: the model directory falls back to it.
            var fromDir = NiqeParameters.FromModelDirectory(new ModelDirectory(dir));
            CollectionAssert.AreEqual(mu, fromDir.Mean.ToArray());
        }
        finally { Directory.Delete(dir, true); }
    }

    static void Add(ZipArchive zip, string name, byte[] bytes)
    {
        using var s = zip.CreateEntry(name, CompressionLevel.Optimal).Open();
        s.Write(bytes);
    }

    [TestMethod]
    [DataRow(false)]
    [DataRow(true)]
    public void MatFileParse_NonSymmetric2x3_ReturnsRowMajor(bool compressed)
    {
        double[] rowMajor = [1, 2, 3, 4, 5, 6];
        var vars = MatFile.Parse(MatV5.File(compressed, MatV5.DoubleMatrix("m", 2, 3, rowMajor)), "mem.mat");
        CollectionAssert.AreEqual(new[] { 2, 3 }, vars["m"].Shape);
        CollectionAssert.AreEqual(rowMajor, vars["m"].Data);
    }

    [TestMethod]
    [DataRow(false)]
    [DataRow(true)]
    public void NpyParse_NonSymmetric2x3_ReturnsRowMajor(bool fortranOrder)
    {
        double[] rowMajor = [1, 2, 3, 4, 5, 6];
        var a = NpyFile.Parse(NpyWriter.Float64([2, 3], rowMajor, fortranOrder), "m", "mem.npy");
        CollectionAssert.AreEqual(new[] { 2, 3 }, a.Shape);
        CollectionAssert.AreEqual(rowMajor, a.Data);
    }

    [TestMethod]
    public void FromMatFile_NotAMatFile_ThrowsNamingFile()
    {
        var dir = TempDir();
        try
        {
            var path = Path.Combine(dir, "niqe_modelparameters.mat");
            File.WriteAllText(path, "definitely not a MAT-file, but long enough to have a 128-byte header ........................................................................");
            var e = Assert.ThrowsExactly<AssetFormatException>(() => NiqeParameters.FromMatFile(path));
            StringAssert.Contains(e.Message, path);
        }
        finally { Directory.Delete(dir, true); }
    }

    [TestMethod]
    public void FromMatFile_TruncatedElement_ThrowsNamingFile()
    {
        var (mu, cov) = IqaFixture.NiqeParameterArrays();
        var dir = TempDir();
        try
        {
            var path = Path.Combine(dir, "cut.mat");
            var bytes = MatV5.File(false, MatV5.DoubleMatrix("mu_prisparam", 1, 36, mu), MatV5.DoubleMatrix("cov_prisparam", 36, 36, cov));
            File.WriteAllBytes(path, bytes[..(bytes.Length - 100)]);
            var e = Assert.ThrowsExactly<AssetFormatException>(() => NiqeParameters.FromMatFile(path));
            StringAssert.Contains(e.Message, path);
        }
        finally { Directory.Delete(dir, true); }
    }

    [TestMethod]
    public void FromNpz_MissingArray_ThrowsNamingExpectedArrays()
    {
        var dir = TempDir();
        try
        {
            var path = Path.Combine(dir, "niqe_pris_params.npz");
            using (var zip = ZipFile.Open(path, ZipArchiveMode.Create))
                Add(zip, "mu_pris_param.npy", NpyWriter.Float64([36], new double[36], false));
            var e = Assert.ThrowsExactly<AssetFormatException>(() => NiqeParameters.FromNpz(path));
            StringAssert.Contains(e.Message, "cov_pris_param");
            StringAssert.Contains(e.Message, path);
        }
        finally { Directory.Delete(dir, true); }
    }

    [TestMethod]
    public void FromNpz_WrongShape_ThrowsNamingShape()
    {
        var dir = TempDir();
        try
        {
            var path = Path.Combine(dir, "niqe_pris_params.npz");
            using (var zip = ZipFile.Open(path, ZipArchiveMode.Create))
            {
                Add(zip, "mu_pris_param.npy", NpyWriter.Float64([36], new double[36], false));
                Add(zip, "cov_pris_param.npy", NpyWriter.Float64([6, 6], new double[36], false));
            }
            StringAssert.Contains(Assert.ThrowsExactly<AssetFormatException>(() => NiqeParameters.FromNpz(path)).Message, "6x6");
        }
        finally { Directory.Delete(dir, true); }
    }

    [TestMethod]
    public void Constructor_WrongLengths_ThrowsNamingCounts()
    {
        StringAssert.Contains(Assert.ThrowsExactly<ArgumentException>(() => new NiqeParameters(new double[35], new double[36 * 36])).Message, "35");
        StringAssert.Contains(Assert.ThrowsExactly<ArgumentException>(() => new NiqeParameters(new double[36], new double[36])).Message, "36×36");
    }

    /// <summary>Minimal MAT-file level 5 writer (little-endian), per the MathWorks MAT-File Format document.</summary>
    static class MatV5
    {
        const int MiInt8 = 1, MiUInt16 = 4, MiInt32 = 5, MiUInt32 = 6, MiDouble = 9, MiMatrix = 14, MiCompressed = 15;
        const int MxCharClass = 4, MxDoubleClass = 6;

        public static byte[] File(bool compressed, params byte[][] matrices)
        {
            var ms = new MemoryStream();
            var text = Encoding.ASCII.GetBytes("MATLAB 5.0 MAT-file, Platform: HfDiff tests".PadRight(116));
            ms.Write(text);
            ms.Write(new byte[8]);                       // subsystem data offset
            ms.Write(BitConverter.GetBytes((ushort)0x0100));
            ms.Write("IM"u8);                            // 'MI' written little-endian
            foreach (var m in matrices)
            {
                if (!compressed) { ms.Write(m); continue; }
                var z = new MemoryStream();
                using (var zs = new ZLibStream(z, CompressionLevel.Optimal, leaveOpen: true)) zs.Write(m);
                ms.Write(Tag(MiCompressed, (int)z.Length));
                ms.Write(z.ToArray());                   // compressed elements are not padded
            }
            return ms.ToArray();
        }

        public static byte[] DoubleMatrix(string name, int rows, int cols, double[] rowMajor)
        {
            var data = new byte[8 * rows * cols];
            for (int c = 0, k = 0; c < cols; c++)
                for (int r = 0; r < rows; r++, k++)
                    BinaryPrimitives.WriteDoubleLittleEndian(data.AsSpan(8 * k), rowMajor[r * cols + c]);
            return Matrix(MxDoubleClass, name, rows, cols, Element(MiDouble, data));
        }

        public static byte[] CharMatrix(string name, string value)
        {
            var data = new byte[2 * value.Length];
            for (int i = 0; i < value.Length; i++) BinaryPrimitives.WriteUInt16LittleEndian(data.AsSpan(2 * i), value[i]);
            return Matrix(MxCharClass, name, 1, value.Length, Element(MiUInt16, data));
        }

        static byte[] Matrix(int mxClass, string name, int rows, int cols, byte[] real)
        {
            var flags = new byte[8];
            BinaryPrimitives.WriteUInt32LittleEndian(flags, (uint)mxClass);
            var dims = new byte[8];
            BinaryPrimitives.WriteInt32LittleEndian(dims, rows);
            BinaryPrimitives.WriteInt32LittleEndian(dims.AsSpan(4), cols);
            var body = new MemoryStream();
            body.Write(Element(MiUInt32, flags));
            body.Write(Element(MiInt32, dims));
            body.Write(Element(MiInt8, Encoding.ASCII.GetBytes(name)));
            body.Write(real);
            return Element(MiMatrix, body.ToArray());
        }

        static byte[] Element(int type, byte[] data)
        {
            int padded = (data.Length + 7) & ~7;
            var el = new byte[8 + padded];
            Tag(type, data.Length).CopyTo(el, 0);
            data.CopyTo(el, 8);
            return el;
        }

        static byte[] Tag(int type, int size)
        {
            var t = new byte[8];
            BinaryPrimitives.WriteInt32LittleEndian(t, type);
            BinaryPrimitives.WriteInt32LittleEndian(t.AsSpan(4), size);
            return t;
        }
    }
}
