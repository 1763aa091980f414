using HfDiff.Tests.Common;
using HfDiff.Torch.Losses;
using TorchSharp;
using static TorchSharp.torch;

namespace HfDiff.Torch.Tests.Losses;

[TestClass]
public class JsDivergenceTests
{
    // README (JS divergence helpers): f64 1e-10, f32 1e-6 relative.
    const double F32Tolerance = 1e-6;
    const double F64Tolerance = 1e-10;

    static string File => Path.Combine(TestPaths.Fixture("dinov2"), TestPaths.ReadConfig(TestPaths.Fixture("dinov2")).GetProperty("js_divergence").GetProperty("file").GetString()!);

    /// <summary>Every reference quantity of the README, computed by the library from logits P, Q (B, D).</summary>
    static readonly Dictionary<string, Func<Tensor, Tensor, Tensor>> Quantities = new()
    {
        ["p"] = (p, q) => p.softmax(-1),
        ["q"] = (p, q) => q.softmax(-1),
        ["m"] = (p, q) => JsDivergence.Mixture(p.softmax(-1), q.softmax(-1)),
        ["kl_p_m_rows"] = (p, q) => KlDivergence.Rows(p.log_softmax(-1), JsDivergence.Mixture(p.softmax(-1), q.softmax(-1)).log()),
        ["kl_q_m_rows"] = (p, q) => KlDivergence.Rows(q.log_softmax(-1), JsDivergence.Mixture(p.softmax(-1), q.softmax(-1)).log()),
        ["js_rows"] = (p, q) => JsDivergence.Rows(p, q),
        ["js_batchmean"] = (p, q) => JsDivergence.BatchMean(p, q),
        ["js_batchmean_log2"] = (p, q) => JsDivergence.BatchMean(p, q, bits: true),
        ["kl_p_q_rows"] = (p, q) => KlDivergence.Rows(p.log_softmax(-1), q.log_softmax(-1)),
        ["F_kl_div_logm_p_batchmean"] = (p, q) => KlDivergence.KlDiv(LogM(p, q), p.softmax(-1), KlReduction.BatchMean),
        ["F_kl_div_logm_p_sum"] = (p, q) => KlDivergence.KlDiv(LogM(p, q), p.softmax(-1), KlReduction.Sum),
        ["F_kl_div_logm_p_mean"] = (p, q) => KlDivergence.KlDiv(LogM(p, q), p.softmax(-1), KlReduction.Mean),
        ["F_kl_div_logm_p_none"] = (p, q) => KlDivergence.KlDiv(LogM(p, q), p.softmax(-1), KlReduction.None),
        ["F_kl_div_logm_q_batchmean"] = (p, q) => KlDivergence.KlDiv(LogM(p, q), q.softmax(-1), KlReduction.BatchMean),
        ["js_via_F_kl_div_batchmean"] = (p, q) => 0.5 * (KlDivergence.KlDiv(LogM(p, q), p.softmax(-1), KlReduction.BatchMean) + KlDivergence.KlDiv(LogM(p, q), q.softmax(-1), KlReduction.BatchMean)),
        ["js_via_F_kl_div_mean"] = (p, q) => 0.5 * (KlDivergence.KlDiv(LogM(p, q), p.softmax(-1), KlReduction.Mean) + KlDivergence.KlDiv(LogM(p, q), q.softmax(-1), KlReduction.Mean)),
        ["F_kl_div_logm_logp_logtarget_batchmean"] = (p, q) => KlDivergence.KlDiv(LogM(p, q), p.log_softmax(-1), KlReduction.BatchMean, logTarget: true),
        ["F_kl_div_logsoftmaxQ_p_batchmean"] = (p, q) => KlDivergence.KlDiv(q.log_softmax(-1), p.softmax(-1), KlReduction.BatchMean),
    };

    static Tensor LogM(Tensor p, Tensor q) => JsDivergence.Mixture(p.softmax(-1), q.softmax(-1)).log();

    static void CheckAll(FixtureTensors io, Tensor pLogits, Tensor qLogits, string suffix, double tolerance)
    {
        var names = io.Names.Where(n => n.EndsWith(suffix, StringComparison.Ordinal)).ToList();
        Assert.IsTrue(names.Count > 0, $"no '*{suffix}' tensors");
        double worst = 0;
        foreach (var name in names)
        {
            var baseName = name[..^suffix.Length];
            Assert.IsTrue(Quantities.ContainsKey(baseName), $"fixture quantity '{name}' has no library counterpart in this test");
            using var scope = torch.NewDisposeScope();
            var expected = io[name];
            var actual = Quantities[baseName](pLogits, qLogits);
            Assert.AreEqual(expected.dtype, actual.dtype, name);
            // Scalars are stored with shape [1].
            if (actual.dim() == 0) actual = actual.reshape(1);
            double rel = TensorAssert.RelL2(actual, expected);
            worst = Math.Max(worst, rel);
            Assert.IsTrue(rel <= tolerance, $"{name}: relative error {rel:E3} > {tolerance:E0}");
        }
        Console.WriteLine($"{suffix}: {names.Count} quantities, worst relative error {worst:E3} (tol {tolerance:E0})");
    }

    [TestMethod]
    [TestCategory("Parity.Losses")]
    public void EveryQuantity_Float32Logits_MatchesReference()
    {
        using var io = new FixtureTensors(File);
        CheckAll(io, io["P_logits"], io["Q_logits"], "_f32", F32Tolerance);
    }

    [TestMethod]
    [TestCategory("Parity.Losses")]
    public void EveryQuantity_Float64_MatchesReference()
    {
        using var io = new FixtureTensors(File);
        // The float64 logits are not stored; log(p_f64), log(q_f64) are the same logits up to a per-row constant,
        // to which softmax / log_softmax are invariant — so every f64 quantity is reproducible to float64 precision.
        using var p = io["p_f64"].log();
        using var q = io["q_f64"].log();
        CheckAll(io, p, q, "_f64", F64Tolerance);
        // The float32 logits are the rounded originals: check that claim so the reconstruction above is of the same data.
        using var p32 = p.softmax(-1).to_type(ScalarType.Float32);
        TensorAssert.RelL2Below(p32, io["p_f32"], 1e-5, "p_f64 vs p_f32");
    }

    [TestMethod]
    [TestCategory("Parity.Losses")]
    public void RowsFromProbabilities_Float64_MatchesReferenceRows()
    {
        using var io = new FixtureTensors(File);
        using var rows = JsDivergence.RowsFromProbabilities(io["p_f64"], io["q_f64"]);
        TensorAssert.RelL2Below(rows, io["js_rows_f64"], F64Tolerance, "js_rows_f64 from probabilities");
    }

    [TestMethod]
    public void Rows_IdenticalAndDisjoint_ZeroAndLn2()
    {
        using var a = torch.tensor(new float[] { 1, 2, 3, 4 }).reshape(1, 4);
        using var same = JsDivergence.Rows(a, a);
        Assert.AreEqual(0.0, same.item<float>(), 1e-7);
        using var p = torch.tensor(new double[] { 1, 0 }).reshape(1, 2);
        using var q = torch.tensor(new double[] { 0, 1 }).reshape(1, 2);
        using var disjoint = JsDivergence.RowsFromProbabilities(p, q);
        Assert.AreEqual(Math.Log(2), disjoint.item<double>(), 1e-12);
    }

    [TestMethod]
    public void Rows_Temperature_DividesLogits()
    {
        torch.manual_seed(3);
        using var p = torch.randn(3, 8, dtype: ScalarType.Float64);
        using var q = torch.randn(3, 8, dtype: ScalarType.Float64);
        using var t = JsDivergence.Rows(p, q, temperature: 0.5);
        using var p2 = p * 2; using var q2 = q * 2;
        using var manual = JsDivergence.Rows(p2, q2);
        Assert.IsTrue(t.allclose(manual, 1e-12, 1e-14));
        Assert.AreEqual("temperature", Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => JsDivergence.Rows(p, q, 0)).ParamName);
    }

    [TestMethod]
    public void Rows_ShapeMismatch_ThrowsWithShapes()
    {
        using var p = torch.zeros(2, 4);
        using var q = torch.zeros(2, 5);
        var e = Assert.ThrowsExactly<ArgumentException>(() => JsDivergence.Rows(p, q));
        StringAssert.Contains(e.Message, "[2, 4] vs [2, 5]");
    }
}
