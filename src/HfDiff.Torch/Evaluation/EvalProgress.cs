namespace HfDiff.Torch.Evaluation;

/// <summary>One finished image of one model on one dataset (<see cref="Done"/> of <see cref="Total"/> in this run).</summary>
public sealed record EvalProgress(int Done, int Total, string Dataset, string Model, string Image, bool Reused, string? Error);
