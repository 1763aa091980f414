namespace HfDiff.Torch.Training.Core;

/// <summary>A run folder that cannot be used as asked: it holds checkpoints but resuming was not requested, or the newest
/// checkpoint was made with other settings (the message names every differing key).</summary>
public sealed class TrainingResumeException(string message) : InvalidOperationException(message);
