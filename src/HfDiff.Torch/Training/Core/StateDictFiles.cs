using HfDiff.Torch.Imaging;
using TorchSharp.PyBridge;
using static TorchSharp.torch;

namespace HfDiff.Torch.Training.Core;

/// <summary>Plain state dicts on disk in PyTorch's <c>torch.save</c> zip format (official keys, no nesting, no <c>module.</c>),
/// readable by <c>torch.load</c>, <see cref="Weights.Checkpoint.LoadInto(TorchSharp.torch.nn.Module, string, bool, string?)"/> and the SR pipelines.</summary>
public static class StateDictFiles
{
    /// <summary>Writes <paramref name="stateDict"/> atomically (temp file + rename) as a <c>.pth</c> file.</summary>
    public static void WritePth(string path, IReadOnlyDictionary<string, Tensor> stateDict)
    {
        ArgumentNullException.ThrowIfNull(stateDict);
        var cpu = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        try
        {
            foreach (var (k, v) in stateDict) cpu[k] = v.detach().cpu().contiguous().clone();
            using var ms = new MemoryStream();
            PyTorchPickler.PickleStateDict(ms, cpu);   // closes ms; ToArray still works
            AtomicFile.WriteAllBytes(path, ms.ToArray());
        }
        finally { foreach (var t in cpu.Values) t.Dispose(); }
    }
}
