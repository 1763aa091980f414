using HfDiff.Torch.Weights;
using TorchSharp;
using static TorchSharp.torch;

namespace HfDiff.Torch.Training.Core;

/// <summary>
/// What an <see cref="IAuxiliaryTrainingObjective"/> sees after the model's step: the iteration, the rate it ran at and
/// its microbatch results (tensors valid only during the call).
/// </summary>
/// <param name="Iteration">1-based iteration number.</param>
/// <param name="LearningRate">Rate of the model's step in this iteration.</param>
/// <param name="Microbatches">The iteration's <see cref="ITrainingObjective.Compute"/> results, in order (fewer than all when a loss was non-finite).</param>
/// <param name="ModelStepSkipped">True when the model's step was skipped (non-finite loss or gradient).</param>
/// <param name="MicrobatchCount">ceil(batch / microbatch): what the loop divides each microbatch loss by.</param>
public sealed record AuxiliaryStepContext(long Iteration, double LearningRate, IReadOnlyList<TrainingMicrobatchResult> Microbatches,
                                          bool ModelStepSkipped, int MicrobatchCount);

/// <summary>
/// An objective that updates more than the model's AdamW step: a second network with its own optimizer (a GAN
/// discriminator), or in-place changes such as codebook restarts. The loop
/// <list type="number">
/// <item>calls <see cref="InitializeAuxiliary"/> once, after moving <see cref="ITrainingObjective.Model"/> to the device;</item>
/// <item>calls <see cref="BeginIteration"/> before each iteration's first <see cref="ITrainingObjective.Compute"/>;</item>
/// <item>calls <see cref="AfterStep"/> after the model's step (or skip) and its EMA update, before the log row;</item>
/// <item>stores <see cref="GetAuxiliaryState"/> in every checkpoint and gives it back through <see cref="SetAuxiliaryState"/> on resume,
/// so a resumed run stays bit-identical.</item>
/// </list>
/// </summary>
public interface IAuxiliaryTrainingObjective : ITrainingObjective
{
    /// <summary>Moves the auxiliary networks to <paramref name="device"/> and creates their optimizer (the loop's betas, eps, weight decay).</summary>
    void InitializeAuxiliary(Device device, TrainingLoopOptions options);

    /// <summary>Announces the 1-based iteration whose microbatches follow (e.g. for a <c>disc_start</c> threshold).</summary>
    void BeginIteration(long iteration);

    /// <summary>The auxiliary update of one iteration. Returns values of some of <see cref="ITrainingObjective.TermNames"/> for the log.</summary>
    IReadOnlyDictionary<string, double[]> AfterStep(AuxiliaryStepContext context);

    /// <summary>Everything the auxiliary update carries between iterations (weights, optimizer state, counters, random state), as bytes.</summary>
    byte[] GetAuxiliaryState();

    /// <summary>Restores <see cref="GetAuxiliaryState"/>'s bytes; throws <see cref="CheckpointFormatException"/> when they do not fit.</summary>
    void SetAuxiliaryState(byte[] state);
}
