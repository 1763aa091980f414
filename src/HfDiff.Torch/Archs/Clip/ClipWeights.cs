using HfDiff.Torch.Weights;
using HfDiff.Torch.Weights.TorchScript;
using static TorchSharp.torch;

namespace HfDiff.Torch.Archs.Clip;

/// <summary>Reads CLIP weights from the formats they are published in.</summary>
public static class ClipWeights
{
    /// <summary>
    /// State dict of a CLIP file: TorchScript archives (openai's <c>RN50.pt</c>) through our own archive reader
    /// (parameters and buffers only; nothing is executed), plain <c>torch.save</c> dicts and safetensors through
    /// <see cref="Checkpoint.LoadStateDict"/>. Tensors keep their stored dtype (fp16 in the official files); the
    /// archive-only int64 scalars <see cref="ClipModel.ArchiveOnlyKeys"/> are removed.
    /// </summary>
    public static Dictionary<string, Tensor> ReadStateDict(string path)
    {
        var sd = Checkpoint.DetectFormat(path) == CheckpointFormat.TorchScriptArchive
            ? TorchScriptArchive.LoadStateDict(path)
            : Checkpoint.LoadStateDict(path);
        foreach (var key in ClipModel.ArchiveOnlyKeys)
            if (sd.Remove(key, out var t)) t.Dispose();
        return sd;
    }
}
