using HfDiff.Tests.Common;
using HfDiff.Torch.Pipelines;
using HfDiff.Torch.Samplers;
using static TorchSharp.torch;

namespace HfDiff.Torch.Tests.Pipelines;

/// <summary>
/// The VQGAN as the pipeline's first stage (<see cref="VQLatentAutoencoder"/>) with the REAL reduced fixture model.
/// README tolerance for single forwards (encodes, decodes): relative L2 &lt; 1e-4.
/// </summary>
[TestClass]
public class VQLatentAutoencoderTests
{
    const double Tolerance = 1e-4;

    static SrModelFixture? _fx;
    static SrModelFixture Fx => _fx ??= new SrModelFixture();

    [ClassCleanup]
    public static void Cleanup() { _fx?.Dispose(); _fx = null; }

    [TestMethod, TestCategory("Parity.ResShift")]
    public void Decode_StoredFinalLatents_MatchDecodedPaddedQuantizingFirst()
    {
        var ae = new VQLatentAutoencoder(Fx.Vq);
        using var decoded = ae.Decode(Fx["rs.final_latent"]);
        double err = TensorAssert.RelL2(decoded, Fx["rs.decoded_padded"]);
        using var unquantized = Fx.Vq.Decode(Fx["rs.final_latent"], forceNotQuantize: true);
        double errNoQuant = TensorAssert.RelL2(unquantized, Fx["rs.decoded_padded"]);
        Console.WriteLine($"decode(rs.final_latent) rel L2 {err:E2} (without quantization it would be {errNoQuant:E2})");
        Assert.IsTrue(err < Tolerance, $"rs.decoded_padded rel L2 {err:E3} >= {Tolerance:E0}");
        Assert.IsTrue(errNoQuant > 10 * Tolerance, "the check must be able to tell a quantizing decode from a plain one");
    }

    [TestMethod, TestCategory("Parity.ResShift")]
    public void Encode_UpsampledPaddedLr_MatchesZY()
    {
        var ae = new VQLatentAutoencoder(Fx.Vq);
        int sf = Fx.ScheduleOptions.Sf;
        foreach (var (prefix, padding) in new[] { ("rs", Fx.ResShiftPadding), ("sin1", Fx.SinSrPadding) })
        {
            using var scope = NewDisposeScope();
            var padded = LatentSrPipeline.PadToMultiple(Fx[$"{prefix}.y0"], padding);
            var z = ae.Encode(LatentSrPipeline.Upsample(padded, sf));
            double err = TensorAssert.RelL2(z, Fx[$"{prefix}.z_y"]);
            Console.WriteLine($"{prefix}.z_y rel L2 {err:E2}");
            Assert.IsTrue(err < Tolerance, $"{prefix}.z_y rel L2 {err:E3} >= {Tolerance:E0}");
        }
    }

    [TestMethod]
    public void Constructor_NullModel_Throws() =>
        Assert.ThrowsExactly<ArgumentNullException>(() => new VQLatentAutoencoder(null!));
}
