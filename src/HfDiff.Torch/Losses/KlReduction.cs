namespace HfDiff.Torch.Losses;

/// <summary>Reductions of PyTorch's <c>F.kl_div</c> (TorchSharp's <c>Reduction</c> lacks <c>batchmean</c>).</summary>
public enum KlReduction
{
    /// <summary>Elementwise terms, same shape as the input.</summary>
    None,
    /// <summary>Sum over all elements.</summary>
    Sum,
    /// <summary>Mean over all elements (= sum / (B·D): D times smaller than the KL divergence, a frequent bug).</summary>
    Mean,
    /// <summary>Sum / B (input.size(0)): the mean KL divergence per sample, the mathematically correct reduction.</summary>
    BatchMean,
}
