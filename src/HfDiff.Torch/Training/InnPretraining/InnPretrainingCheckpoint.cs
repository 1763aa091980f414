using System.Globalization;
using HfDiff.Torch.Training.Core;
using HfDiff.Torch.Weights;
using static TorchSharp.torch;

namespace HfDiff.Torch.Training.InnPretraining;

/// <summary>
/// Reading the checkpoints of an INN pretraining run. They are the training core's <see cref="TrainingCheckpoint"/>s
/// (written by <see cref="TrainingLoop"/> into <c>&lt;OutputFolder&gt;/checkpoints/</c>: weights, EMA, Adam state, random
/// state, data position, settings), with the validation history as the objective's auxiliary state
/// (<see cref="InnClassificationObjective"/>). Checkpoints of the earlier format (<c>hfdiff-inn-pretraining/1</c>, directly
/// in the output folder) are not resumed.
/// </summary>
public static class InnPretrainingCheckpoint
{
    /// <summary>Where a run with <paramref name="outputFolder"/> keeps its checkpoints.</summary>
    public static string FolderFor(string outputFolder) => Path.Combine(outputFolder, TrainingLoop.CheckpointFolderName);

    /// <summary>The checkpoint written after <paramref name="iteration"/> iterations of the run in <paramref name="outputFolder"/>.</summary>
    public static string PathFor(string outputFolder, long iteration) => TrainingCheckpoint.PathFor(FolderFor(outputFolder), iteration);

    /// <summary>Checkpoints of the run in <paramref name="outputFolder"/>, newest (highest iteration) first. Temp files are ignored.</summary>
    public static IReadOnlyList<string> List(string outputFolder) => TrainingCheckpoint.List(FolderFor(outputFolder));

    /// <summary>Checkpoints of the earlier INN format left directly in <paramref name="outputFolder"/> (they do not resume).</summary>
    public static IReadOnlyList<string> ListOldFormat(string outputFolder) => TrainingCheckpoint.List(outputFolder);

    /// <summary>The run position of a checkpoint. Throws <see cref="CheckpointFormatException"/> naming the file when it is not one.</summary>
    public static InnPretrainingCheckpointState ReadState(string path)
    {
        var core = TrainingCheckpoint.ReadState(path);
        if (core.Kind != InnClassificationObjective.KindName)
            throw new CheckpointFormatException($"'{path}' is a '{core.Kind}' checkpoint, not an INN pretraining one.");
        if (!core.Settings.TryGetValue(InnPretrainer.BatchesPerEpochSetting, out var text)
            || !int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out int perEpoch) || perEpoch < 1)
            throw new CheckpointFormatException($"'{path}': setting {InnPretrainer.BatchesPerEpochSetting} is missing or invalid.");
        var validation = TrainingCheckpoint.ReadAuxiliaryState(path) is { } aux ? InnClassificationObjective.ReadValidation(aux, $"'{path}'") : [];
        return new InnPretrainingCheckpointState
        {
            Iteration = core.Iteration, Epoch = (int)(core.DataPosition / perEpoch), NextBatch = (int)(core.DataPosition % perEpoch),
            LearningRate = core.LearningRate, SkippedSteps = core.SkippedIterations, Settings = core.Settings, Validation = validation,
        };
    }

    /// <summary>Loads the model weights of a checkpoint into <paramref name="model"/> (strict).</summary>
    public static void LoadModel(string path, nn.Module model)
    {
        ArgumentNullException.ThrowIfNull(model);
        var sd = TrainingCheckpoint.ReadStateDict(path, ema: false);
        try { Checkpoint.LoadInto(model, sd, strict: true, source: $"'{path}'"); }
        finally { foreach (var t in sd.Values) t.Dispose(); }
    }
}
