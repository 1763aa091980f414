using HfDiff.Torch.Weights.Pickle;
using static TorchSharp.torch;

namespace HfDiff.Torch.Weights.TorchScript;

/// <summary>
/// Parameters and buffers of a TorchScript archive (<c>torch.jit.save</c>, e.g. openai's <c>RN50.pt</c>) as a flat
/// state dict, read with our own zip/pickle reader. The pickled module tree (<c>__torch__.*</c> objects whose BUILD
/// state is a dict of attributes) is walked; every tensor attribute becomes <c>path.to.name</c> — exactly the keys of
/// the scripted module's <c>state_dict()</c>, since traced non-parameter tensors live in <c>constants.pkl</c>, which is not
/// read. Tensors keep their stored dtype (CPU). Nothing from the archive's code is compiled or run.
/// </summary>
public static class TorchScriptArchive
{
    public static Dictionary<string, Tensor> LoadStateDict(string path)
    {
        using var archive = new TorchZipArchive(path);
        if (!archive.IsTorchScript)
            throw new CheckpointFormatException($"'{path}' is a torch.save archive, not a TorchScript archive; load it with Checkpoint.LoadStateDict.");
        var root = archive.LoadRoot();
        if (root is not PickleObject { State: PickleDict })
            throw new CheckpointFormatException($"'{path}': the archive's root object is not a scripted module (found {root?.GetType().Name ?? "None"}).");
        var result = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        var visited = new HashSet<PickleObject>(ReferenceEqualityComparer.Instance);
        Walk((PickleObject)root, "", result, visited, archive);
        if (result.Count == 0) throw new CheckpointFormatException($"'{path}': the scripted module has no parameters or buffers.");
        return result;
    }

    // Iterative: a crafted archive may nest modules arbitrarily deep.
    static void Walk(PickleObject root, string rootPrefix, Dictionary<string, Tensor> result, HashSet<PickleObject> visited, TorchZipArchive archive)
    {
        var pending = new Stack<(PickleObject Module, string Prefix)>();
        pending.Push((root, rootPrefix));
        while (pending.Count > 0)
        {
            var (module, prefix) = pending.Pop();
            if (!visited.Add(module) || module.State is not PickleDict state) continue;
            var children = new List<(PickleObject, string)>();
            foreach (var (key, value) in state.Items)
            {
                if (key is not string name) continue;
                switch (value)
                {
                    case Tensor t: result[prefix + name] = archive.Detach(t); break;
                    // Submodules are objects of TorchScript classes (__torch__.…); other objects carry no weights.
                    case PickleObject child when child.Type.Module.StartsWith("__torch__", StringComparison.Ordinal):
                        children.Add((child, prefix + name + "."));
                        break;
                }
            }
            for (int i = children.Count - 1; i >= 0; i--) pending.Push(children[i]);
        }
    }
}
