namespace HfDiff.Torch.Weights;

/// <summary>A file that is not a checkpoint we can read, or whose tensors do not fit the model.</summary>
public sealed class CheckpointFormatException(string message, Exception? inner = null) : Exception(message, inner);
