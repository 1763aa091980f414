using static TorchSharp.torch;

namespace HfDiff.Torch.Training.Core;

/// <summary>
/// One microbatch's loss. Owns its tensors: <see cref="Loss"/> (0-dim, with graph) is what the loop back-propagates
/// (divided by the number of microbatches); <see cref="Terms"/> hold the reported values, per row (b,) or 0-dim, without
/// graph; <see cref="Outputs"/> are optional detached diagnostics (e.g. <c>pred_zstart</c>) passed to the iteration callback.
/// </summary>
public sealed class TrainingMicrobatchResult : IDisposable
{
    public TrainingMicrobatchResult(Tensor loss, IReadOnlyDictionary<string, Tensor> terms, IReadOnlyDictionary<string, Tensor>? outputs = null)
    {
        Loss = loss ?? throw new ArgumentNullException(nameof(loss));
        Terms = terms ?? throw new ArgumentNullException(nameof(terms));
        Outputs = outputs ?? new Dictionary<string, Tensor>();
    }

    public Tensor Loss { get; }
    public IReadOnlyDictionary<string, Tensor> Terms { get; }
    public IReadOnlyDictionary<string, Tensor> Outputs { get; }

    public void Dispose()
    {
        var seen = new HashSet<Tensor>(ReferenceEqualityComparer.Instance);
        foreach (var t in Terms.Values.Concat(Outputs.Values).Prepend(Loss))
            if (seen.Add(t)) t.Dispose();
    }
}
