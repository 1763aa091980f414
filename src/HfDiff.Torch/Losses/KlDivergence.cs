using TorchSharp;
using static TorchSharp.torch;

namespace HfDiff.Torch.Losses;

/// <summary>Kullback–Leibler divergence helpers (natural log) over the last dimension of <c>(B, D)</c> distributions.</summary>
public static class KlDivergence
{
    /// <summary>KL(p‖q) per row, <c>Σ_D p·(log p − log q)</c>, from log-probabilities <c>(…, D)</c> → <c>(…)</c>.</summary>
    public static Tensor Rows(Tensor logP, Tensor logQ)
    {
        CheckSameShape(logP, logQ, nameof(logQ));
        using var scope = torch.NewDisposeScope();
        return (logP.exp() * (logP - logQ)).sum(-1).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// PyTorch <c>F.kl_div(input, target, reduction, log_target)</c>: <paramref name="input"/> holds log-probabilities,
    /// <paramref name="target"/> probabilities (or log-probabilities when <paramref name="logTarget"/>). Pointwise
    /// <c>xlogy(t, t) − t·input</c> (0·log 0 = 0), or <c>exp(t)·(t − input)</c> for log targets; note the direction:
    /// the result is KL(target‖exp(input)). Unlike TorchSharp's <c>kl_div</c> (default <c>log_target = true</c>, no batchmean),
    /// the defaults here are PyTorch's: <c>log_target = false</c>, reduction mean.
    /// </summary>
    public static Tensor KlDiv(Tensor input, Tensor target, KlReduction reduction = KlReduction.Mean, bool logTarget = false)
    {
        CheckSameShape(input, target, nameof(target));
        using var scope = torch.NewDisposeScope();
        var pointwise = logTarget ? target.exp() * (target - input) : torch.xlogy(target, target) - target * input;
        var result = reduction switch
        {
            KlReduction.None => pointwise,
            KlReduction.Sum => pointwise.sum(),
            KlReduction.Mean => pointwise.mean(),
            KlReduction.BatchMean => input.dim() == 0 ? pointwise.sum() : pointwise.sum() / input.shape[0],
            _ => throw new ArgumentOutOfRangeException(nameof(reduction), reduction, "Unknown KlReduction."),
        };
        return result.MoveToOuterDisposeScope();
    }

    internal static void CheckSameShape(Tensor a, Tensor b, string paramName)
    {
        if (!a.shape.SequenceEqual(b.shape))
            throw new ArgumentException($"Shapes differ: [{string.Join(", ", a.shape)}] vs [{string.Join(", ", b.shape)}].", paramName);
    }
}
