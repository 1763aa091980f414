using HfDiff.Torch.Weights.Pickle;
using static TorchSharp.torch;

namespace HfDiff.Torch.Weights.TorchScript;

/// <summary>A single tensor written with <c>torch.save(tensor, path)</c> (zip format), e.g. CLIP-IQA+'s learned prompts.</summary>
public static class TorchSavedTensor
{
    /// <summary>Loads the tensor (CPU, stored dtype). Throws naming the file when it holds something else.</summary>
    public static Tensor Load(string path)
    {
        using var archive = new TorchZipArchive(path, weightsOnly: true);
        var root = archive.LoadRoot();
        if (root is Tensor t)
        {
            var view = archive.Detach(t);
            var result = view.contiguous();
            if (!ReferenceEquals(result, view)) view.Dispose();
            return result;
        }
        throw new CheckpointFormatException($"'{path}' does not hold a single tensor (found {Describe(root)}); expected a file written by torch.save(tensor, path).");
    }

    static string Describe(object? root) => root switch
    {
        null => "None",
        PickleDict d => $"a dict with {d.Count} entries",
        PickleObject o => $"an object of {o.Type}",
        _ => root.GetType().Name,
    };
}
