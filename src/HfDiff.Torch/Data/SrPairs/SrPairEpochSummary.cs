namespace HfDiff.Torch.Data.SrPairs;

/// <summary>
/// What one epoch of <see cref="SrPairLoader"/> produced: batches and samples yielded, files not used because they are
/// unreadable (<paramref name="Skipped"/>, including files that failed in earlier epochs) and samples left out by
/// <c>DropLast</c>.
/// </summary>
public sealed record SrPairEpochSummary(int Epoch, int Batches, int Samples, int Skipped, int Dropped);
