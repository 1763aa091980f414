using TorchSharp;
using static TorchSharp.torch;

namespace HfDiff.Torch.Losses;

/// <summary>
/// Jensen–Shannon divergence between categorical distributions along the last dimension (natural log unless stated):
/// <c>JS(p, q) = ½ KL(p‖m) + ½ KL(q‖m)</c>, <c>m = (p + q)/2</c>; symmetric and bounded by ln 2.
/// Logit overloads apply <c>softmax(logits / temperature)</c> over the last dimension first.
/// </summary>
public static class JsDivergence
{
    /// <summary>JS per row <c>(B)</c> between <c>softmax(P/T)</c> and <c>softmax(Q/T)</c> for logits <c>(B, D)</c>.</summary>
    public static Tensor Rows(Tensor pLogits, Tensor qLogits, double temperature = 1.0)
    {
        KlDivergence.CheckSameShape(pLogits, qLogits, nameof(qLogits));
        if (!(temperature > 0)) throw new ArgumentOutOfRangeException(nameof(temperature), temperature, "temperature must be > 0.");
        using var scope = torch.NewDisposeScope();
        var ps = temperature == 1.0 ? pLogits : pLogits / temperature;
        var qs = temperature == 1.0 ? qLogits : qLogits / temperature;
        // log p from log_softmax (stable for large logits); m from the probabilities.
        var logP = ps.log_softmax(-1);
        var logQ = qs.log_softmax(-1);
        var logM = (0.5 * (ps.softmax(-1) + qs.softmax(-1))).log();
        return (0.5 * KlDivergence.Rows(logP, logM) + 0.5 * KlDivergence.Rows(logQ, logM)).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Mean JS over the batch (scalar) — the loss value. <paramref name="bits"/> divides by ln 2 (result in [0, 1]).
    /// </summary>
    public static Tensor BatchMean(Tensor pLogits, Tensor qLogits, double temperature = 1.0, bool bits = false)
    {
        using var scope = torch.NewDisposeScope();
        var mean = Rows(pLogits, qLogits, temperature).mean();
        return (bits ? mean / Math.Log(2) : mean).MoveToOuterDisposeScope();
    }

    /// <summary>JS per row from probabilities <c>(…, D)</c> (rows summing to 1; zeros allowed: 0·log 0 = 0).</summary>
    public static Tensor RowsFromProbabilities(Tensor p, Tensor q)
    {
        KlDivergence.CheckSameShape(p, q, nameof(q));
        using var scope = torch.NewDisposeScope();
        var m = Mixture(p, q);
        var logM = m.log();
        var klPM = (torch.xlogy(p, p) - p * logM).sum(-1);
        var klQM = (torch.xlogy(q, q) - q * logM).sum(-1);
        return (0.5 * klPM + 0.5 * klQM).MoveToOuterDisposeScope();
    }

    /// <summary>The mixture <c>m = (p + q)/2</c>.</summary>
    public static Tensor Mixture(Tensor p, Tensor q)
    {
        using var scope = torch.NewDisposeScope();
        return (0.5 * (p + q)).MoveToOuterDisposeScope();
    }
}
