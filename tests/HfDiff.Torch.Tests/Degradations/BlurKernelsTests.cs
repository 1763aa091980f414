using System.Globalization;
using System.Text.Json;
using HfDiff.Torch.Degradations;
using static TorchSharp.torch;

namespace HfDiff.Torch.Tests.Degradations;

[TestClass]
public class BlurKernelsTests
{
    // README: 1e-12 in float64, 1e-7 after the float32 cast.
    const double Float64Tolerance = 1e-12;
    const double Float32Tolerance = 1e-7;

    static double[,] FromConfig(JsonElement entry)
    {
        var fn = entry.GetProperty("fn").GetString();
        var a = entry.GetProperty("kwargs");
        double D(string n) => a.GetProperty(n).GetDouble();
        int k = a.GetProperty("kernel_size").GetInt32();
        bool Iso() => a.GetProperty("isotropic").GetBoolean();
        return fn switch
        {
            "bivariate_Gaussian" => BlurKernels.BivariateGaussian(k, D("sig_x"), D("sig_y"), D("theta"), Iso()),
            "bivariate_generalized_Gaussian" => BlurKernels.BivariateGeneralizedGaussian(k, D("sig_x"), D("sig_y"), D("theta"), D("beta"), Iso()),
            "bivariate_plateau" => BlurKernels.BivariatePlateau(k, D("sig_x"), D("sig_y"), D("theta"), D("beta"), Iso()),
            "circular_lowpass_kernel" => BlurKernels.CircularLowpass(D("cutoff"), k, a.GetProperty("pad_to").GetInt32()),
            _ => throw new AssertFailedException($"Unknown kernel function '{fn}' in config.json."),
        };
    }

    [TestMethod]
    [TestCategory("Parity.Degradation")]
    public void KernelFunctions_ConfigCalls_MatchFloat64Reference()
    {
        var fx = DegradationFixture.Shared;
        var kernels = fx.Config.GetProperty("kernels").EnumerateObject().ToList();
        Assert.IsTrue(kernels.Count > 0, "config.json lists no kernels.");
        double worst = 0;
        foreach (var entry in kernels)
        {
            var expected = fx["kernel/" + entry.Name];
            Assert.AreEqual(ScalarType.Float64, expected.dtype, entry.Name);
            var shape = entry.Value.GetProperty("shape").EnumerateArray().Select(e => e.GetInt64()).ToArray();
            CollectionAssert.AreEqual(shape, expected.shape, entry.Name);
            using var actual = BlurKernels.ToTensor(FromConfig(entry.Value), ScalarType.Float64);
            worst = Math.Max(worst, DegradationAssert.MaxAbsBelow(actual, expected, Float64Tolerance, "kernel/" + entry.Name));
        }
        Console.WriteLine($"kernels (float64): worst max |Δ| {worst:E3} over {kernels.Count}");
    }

    [TestMethod]
    [TestCategory("Parity.Degradation")]
    public void ZeroPad_DatasetPadding_MatchesFloat32Reference()
    {
        var fx = DegradationFixture.Shared;
        var names = fx.Io.WithPrefix("kernel/padded");
        Assert.IsTrue(names.Count > 0, "no kernel/padded* tensors in the fixture.");
        foreach (var name in names)
        {
            // kernel/padded21_f32_<config name>
            var rest = name["kernel/padded".Length..];
            int size = int.Parse(rest[..rest.IndexOf('_')], CultureInfo.InvariantCulture);
            var source = rest[(rest.IndexOf("_f32_", StringComparison.Ordinal) + 5)..];
            var padded = BlurKernels.ZeroPad(FromConfig(fx.Config.GetProperty("kernels").GetProperty(source)), size);
            using var actual = BlurKernels.ToTensor(padded, ScalarType.Float32);
            Assert.AreEqual(ScalarType.Float32, fx[name].dtype, name);
            DegradationAssert.MaxAbsBelow(actual, fx[name], Float32Tolerance, name);
        }
    }

    [TestMethod]
    [TestCategory("Parity.Degradation")]
    public void SigmaMatrix2AndMeshGrid_FixtureNames_MatchReference()
    {
        var fx = DegradationFixture.Shared;
        var sigmaNames = fx.Io.WithPrefix("kernel/sigma_matrix2_");
        var gridNames = fx.Io.WithPrefix("kernel/mesh_grid");
        Assert.IsTrue(sigmaNames.Count > 0 && gridNames.Count > 0, "fixture lacks sigma_matrix2/mesh_grid tensors.");
        foreach (var name in sigmaNames)
        {
            var p = name["kernel/sigma_matrix2_".Length..].Split('_').Select(s => double.Parse(s, CultureInfo.InvariantCulture)).ToArray();
            var m = BlurKernels.SigmaMatrix2(p[0], p[1], p[2]);
            using var actual = BlurKernels.ToTensor(m, ScalarType.Float64);
            DegradationAssert.MaxAbsBelow(actual, fx[name], Float64Tolerance, name);
        }
        foreach (var name in gridNames)
        {
            var digits = new string(name["kernel/mesh_grid".Length..].TakeWhile(char.IsDigit).ToArray());
            int k = int.Parse(digits, CultureInfo.InvariantCulture);
            var g = BlurKernels.MeshGrid(k);
            var flat = new double[k * k * 2];
            Buffer.BlockCopy(g, 0, flat, 0, flat.Length * sizeof(double));
            using var actual = tensor(flat, [k, k, 2], ScalarType.Float64);
            DegradationAssert.MaxAbsBelow(actual, fx[name], 0, name);
        }
    }

    [TestMethod]
    public void CircularLowpass_EvenSize_ThrowsNamingKernelSize()
    {
        var e = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => BlurKernels.CircularLowpass(1.0, 8));
        Assert.AreEqual("kernelSize", e.ParamName);
        StringAssert.Contains(e.Message, "odd");
    }

    [TestMethod]
    public void BivariateGaussian_NonPositiveSigma_Throws()
    {
        var e = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => BlurKernels.BivariateGaussian(21, 0, 1, 0, isotropic: true));
        Assert.AreEqual("sigX", e.ParamName);
    }

    [TestMethod]
    public void ZeroPad_TargetSmallerThanKernel_Throws()
    {
        var e = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => BlurKernels.ZeroPad(BlurKernels.Pulse(21), 13));
        Assert.AreEqual("size", e.ParamName);
    }

    [TestMethod]
    public void BivariateKernels_IsoAndAniso_SumToOneAndOnlyAnisoIsAsymmetric()
    {
        var aniso = BlurKernels.BivariateGaussian(15, 3.0, 1.0, 0.7, isotropic: false);
        var iso = BlurKernels.BivariatePlateau(15, 2.0, 9.0, 1.0, 1.5, isotropic: true);
        double sA = 0, sI = 0, asym = 0, isym = 0;
        for (int i = 0; i < 15; i++)
            for (int j = 0; j < 15; j++)
            {
                sA += aniso[i, j]; sI += iso[i, j];
                asym = Math.Max(asym, Math.Abs(aniso[i, j] - aniso[j, i]));
                isym = Math.Max(isym, Math.Abs(iso[i, j] - iso[j, i]));
            }
        Assert.AreEqual(1.0, sA, 1e-12);
        Assert.AreEqual(1.0, sI, 1e-12);
        Assert.IsTrue(asym > 1e-4, "a rotated anisotropic kernel must not be symmetric under transposition");
        Assert.IsTrue(isym < 1e-15, "isotropic kernels ignore sigY/theta");
    }
}
