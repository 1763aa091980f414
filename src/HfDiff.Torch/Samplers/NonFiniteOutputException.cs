namespace HfDiff.Torch.Samplers;

/// <summary>A network produced NaN or Inf where an image was expected.</summary>
public sealed class NonFiniteOutputException(string message) : InvalidOperationException(message);
