using HfDiff.Torch.Samplers;
using TorchSharp;
using static TorchSharp.torch;

namespace HfDiff.Torch.Training.Core;

/// <summary>
/// What a <see cref="TrainingLoop"/> trains: the trainable network, its EMA rule, and the loss of one microbatch.
/// The loop owns the optimizer, the schedule, accumulation, the EMA, checkpoints and the log.
/// </summary>
public interface ITrainingObjective
{
    /// <summary>Short name stored in checkpoints (e.g. <c>sinsr-student</c>); a checkpoint of another kind is refused.</summary>
    string Kind { get; }

    /// <summary>The network whose parameters are optimized (state-dict keys in the official layout).</summary>
    nn.Module Model { get; }

    /// <summary>How the EMA treats buffer keys.</summary>
    EmaKeyRule EmaRule { get; }

    /// <summary>Names of the loss terms <see cref="Compute"/> reports, in CSV column order.</summary>
    IReadOnlyList<string> TermNames { get; }

    /// <summary>Settings that must not change when a run is resumed (name → stable text).</summary>
    IReadOnlyDictionary<string, string> Settings { get; }

    /// <summary>Puts the networks into training mode (trainable network in train mode, frozen ones in eval mode).</summary>
    void PrepareForTraining();

    /// <summary>
    /// The loss of one microbatch, with its graph to <see cref="Model"/>'s parameters. The loop divides it by the number
    /// of microbatches and back-propagates it.
    /// </summary>
    /// <param name="gt">(b, 3, H, W) float32 in [−1, 1] on the training device.</param>
    /// <param name="lq">(b, 3, h, w) float32 in [−1, 1] on the training device.</param>
    /// <param name="noise">Source of the Gaussian draws.</param>
    /// <param name="timesteps">Source of the timestep draws.</param>
    TrainingMicrobatchResult Compute(Tensor gt, Tensor lq, INoiseSource noise, ITimestepSource timesteps);
}
