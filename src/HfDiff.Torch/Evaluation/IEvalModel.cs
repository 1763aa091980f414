using static TorchSharp.torch;

namespace HfDiff.Torch.Evaluation;

/// <summary>A model in an evaluation: makes (or finds) the SR image of one test image.</summary>
public interface IEvalModel : IDisposable
{
    string Name { get; }
    /// <summary>One line for the report: what the model is (checkpoint, folder, interpolation).</summary>
    string Description { get; }
    /// <summary>Parameters, where the model has a network (null for interpolation and for folders of outputs).</summary>
    long? ParameterCount { get; }
    /// <summary>False for a folder of SR images made elsewhere: nothing is computed, so it has no timing row.</summary>
    bool Computes { get; }

    /// <summary>The SR image of <paramref name="image"/> at ×<paramref name="scale"/>: (1, 3, H, W) float32 in [0, 1].</summary>
    Tensor SuperResolve(EvalImage image, int scale);

    /// <summary>SR of an in-memory LR image (for timing): (1, 3, h, w) [0, 1] → (1, 3, sh, sw).</summary>
    Tensor SuperResolve(Tensor lr01, int scale);
}
