using HfDiff.Torch.Weights;
using static TorchSharp.torch;

namespace HfDiff.Torch.Archs.HfDiff;

/// <summary>Where the INN weights sit inside a checkpoint file.</summary>
public enum CddFuseInnSource
{
    /// <summary>Flat state dict if the file has one, otherwise the official CDDFuse <c>DIDF_Encoder</c> entry.</summary>
    Auto,
    /// <summary>A flat state dict: <c>net.i.…</c>, optionally under <c>module.</c> and/or <c>detailFeature.</c>.</summary>
    Plain,
    /// <summary>Official CDDFuse checkpoint, <c>{"DIDF_Encoder": {"module.detailFeature.net.i.…"}}</c> (3 nodes).</summary>
    DidfEncoder,
    /// <summary>Official CDDFuse checkpoint, <c>{"DetailFuseLayer": {"module.net.0.…"}}</c> (1 node).</summary>
    DetailFuseLayer,
}

/// <summary>
/// Reads <see cref="DetailFeatureExtraction"/> weights from plain state dicts and from the nesting of the official
/// CDDFuse checkpoints (<c>CDDFuse_*.pth</c>: <c>DIDF_Encoder</c> / <c>DetailFuseLayer</c> entries with DataParallel's <c>module.</c>).
/// </summary>
public static class DetailFeatureCheckpoint
{
    const string EncoderEntry = "DIDF_Encoder";
    const string FuseLayerEntry = "DetailFuseLayer";
    const string EncoderPrefix = "detailFeature.";

    /// <summary>The INN state dict with keys <c>net.i.…</c> (CPU tensors owned by the caller).</summary>
    public static Dictionary<string, Tensor> LoadStateDict(string path, CddFuseInnSource source = CddFuseInnSource.Auto)
    {
        switch (source)
        {
            case CddFuseInnSource.Plain:
                return Normalise(path, Checkpoint.LoadStateDict(path), "the top level");
            case CddFuseInnSource.DidfEncoder:
                return Normalise(path, Checkpoint.LoadStateDict(path, EncoderEntry), $"'{EncoderEntry}'");
            case CddFuseInnSource.DetailFuseLayer:
                return Normalise(path, Checkpoint.LoadStateDict(path, FuseLayerEntry), $"'{FuseLayerEntry}'");
            case CddFuseInnSource.Auto:
                Dictionary<string, Tensor> flat;
                try { flat = Checkpoint.LoadStateDict(path); }
                catch (CheckpointFormatException)
                {
                    // The official files hold only nested dicts at the top level; their encoder entry has the 3-node INN.
                    try { return LoadStateDict(path, CddFuseInnSource.DidfEncoder); }
                    catch (CheckpointFormatException e)
                    {
                        throw new CheckpointFormatException($"'{path}': neither a flat INN state dict nor a CDDFuse checkpoint with '{EncoderEntry}' ({e.Message}).", e);
                    }
                }
                return Normalise(path, flat, "the top level");
            default:
                throw new ArgumentOutOfRangeException(nameof(source), source, "Unknown CddFuseInnSource.");
        }
    }

    /// <summary>Builds a <see cref="DetailFeatureExtraction"/> with as many nodes as the checkpoint holds and loads it (strict).</summary>
    public static DetailFeatureExtraction Load(string path, CddFuseInnSource source = CddFuseInnSource.Auto)
    {
        var sd = LoadStateDict(path, source);
        try
        {
            int layers = DetailFeatureExtraction.CountLayers(sd);
            long channels = sd.TryGetValue("net.0.shffleconv.bias", out var bias) ? bias.shape[0] : 64;
            var model = new DetailFeatureExtraction(layers, channels);
            try { Checkpoint.LoadInto(model, sd, strict: true, source: $"'{path}'"); }
            catch { model.Dispose(); throw; }
            return model;
        }
        finally { foreach (var t in sd.Values) t.Dispose(); }
    }

    // Removes DataParallel's "module." and the Restormer_Encoder attribute "detailFeature." and keeps only INN keys.
    static Dictionary<string, Tensor> Normalise(string path, Dictionary<string, Tensor> sd, string where)
    {
        var keys = Checkpoint.StripPrefix(sd, "module.");
        bool nestedInEncoder = keys.Keys.Any(k => k.StartsWith(EncoderPrefix + "net.", StringComparison.Ordinal));
        var result = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        foreach (var (key, value) in keys)
        {
            var k = nestedInEncoder ? (key.StartsWith(EncoderPrefix, StringComparison.Ordinal) ? key[EncoderPrefix.Length..] : null) : key;
            if (k is not null && k.StartsWith("net.", StringComparison.Ordinal)) result[k] = value;
            else value.Dispose(); // the rest of the encoder (patch_embed, baseFeature, …) is not ours
        }
        if (result.Count == 0)
            throw new CheckpointFormatException($"'{path}': no INN weights (keys 'net.i.…' or 'module.detailFeature.net.i.…') under {where}; first keys: {string.Join(", ", sd.Keys.Take(5))}.");
        return result;
    }
}
