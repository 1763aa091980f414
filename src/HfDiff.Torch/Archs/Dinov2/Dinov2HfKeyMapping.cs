// Key mapping between Hugging Face transformers' Dinov2Model / Dinov2WithRegistersModel and the official DINOv2 layout.
// Derived from transformers/models/dinov2/convert_dinov2_to_hf.py (create_rename_keys, read_in_q_k_v) and
// modeling_dinov2.py attribute names; the mapping below is its inverse.
using System.Text.RegularExpressions;
using TorchSharp;
using static TorchSharp.torch;

namespace HfDiff.Torch.Archs.Dinov2;

/// <summary>
/// Converts Hugging Face DINOv2 state dicts to the official torch-hub key layout used by <see cref="DinoVisionTransformer"/>.
/// <code>
/// embeddings.cls_token                              → cls_token
/// embeddings.mask_token                             → mask_token
/// embeddings.position_embeddings                    → pos_embed
/// embeddings.register_tokens                        → register_tokens            (Dinov2WithRegisters)
/// embeddings.patch_embeddings.projection.{w,b}      → patch_embed.proj.{w,b}
/// encoder.layer.N.norm1 / norm2                     → blocks.N.norm1 / norm2
/// encoder.layer.N.attention.attention.{query,key,value}.{w,b} → blocks.N.attn.qkv.{w,b}   (concatenated q;k;v along dim 0)
/// encoder.layer.N.attention.output.dense            → blocks.N.attn.proj
/// encoder.layer.N.layer_scale{1,2}.lambda1          → blocks.N.ls{1,2}.gamma
/// encoder.layer.N.mlp.fc1 / fc2                     → blocks.N.mlp.fc1 / fc2
/// encoder.layer.N.mlp.weights_in / weights_out      → blocks.N.mlp.w12 / w3     (SwiGLU, ViT-g)
/// layernorm                                         → norm
/// </code>
/// A leading <c>dinov2.</c> (task models such as <c>Dinov2ForImageClassification</c>) is removed and their
/// <c>classifier.*</c> head is dropped. Returned tensors are new handles (aliases or concatenations): dispose them freely.
/// </summary>
public static partial class Dinov2HfKeyMapping
{
    const string TaskPrefix = "dinov2.";

    /// <summary>True when the keys are in the Hugging Face layout (an <c>embeddings.</c> or <c>dinov2.embeddings.</c> key).</summary>
    public static bool IsHuggingFaceLayout(IEnumerable<string> keys) =>
        keys.Any(k => k.StartsWith("embeddings.", StringComparison.Ordinal) || k.StartsWith(TaskPrefix + "embeddings.", StringComparison.Ordinal));

    /// <summary>The input itself when it is already in the official layout, otherwise <see cref="ToOfficial"/>.</summary>
    public static IReadOnlyDictionary<string, Tensor> ToOfficialIfHuggingFace(IReadOnlyDictionary<string, Tensor> stateDict) =>
        IsHuggingFaceLayout(stateDict.Keys) ? ToOfficial(stateDict) : stateDict;

    /// <summary>Maps a Hugging Face DINOv2 state dict to official keys. Unknown keys are kept unchanged (strict loading reports them).</summary>
    public static Dictionary<string, Tensor> ToOfficial(IReadOnlyDictionary<string, Tensor> hf)
    {
        ArgumentNullException.ThrowIfNull(hf);
        bool task = hf.Keys.Any(k => k.StartsWith(TaskPrefix, StringComparison.Ordinal));
        var src = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        foreach (var (key, value) in hf)
        {
            if (task && !key.StartsWith(TaskPrefix, StringComparison.Ordinal)) continue; // classifier head etc.
            src[task ? key[TaskPrefix.Length..] : key] = value;
        }

        var result = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        var qkvParts = new Dictionary<(string Block, string Kind), Tensor?[]>();
        foreach (var (key, value) in src)
        {
            var m = QkvKey().Match(key);
            if (m.Success)
            {
                var id = (m.Groups["n"].Value, m.Groups["kind"].Value);
                if (!qkvParts.TryGetValue(id, out var parts)) qkvParts[id] = parts = new Tensor?[3];
                parts[m.Groups["which"].Value switch { "query" => 0, "key" => 1, _ => 2 }] = value;
                continue;
            }
            result[Rename(key)] = value.alias();
        }
        foreach (var ((block, kind), parts) in qkvParts)
        {
            if (parts.Any(p => p is null))
                throw new ArgumentException($"Hugging Face DINOv2 state dict: encoder.layer.{block}.attention.attention has an incomplete query/key/value {kind} set.", nameof(hf));
            result[$"blocks.{block}.attn.qkv.{kind}"] = torch.cat(parts!, 0);
        }
        return result;
    }

    static string Rename(string key)
    {
        switch (key)
        {
            case "embeddings.cls_token": return "cls_token";
            case "embeddings.mask_token": return "mask_token";
            case "embeddings.position_embeddings": return "pos_embed";
            case "embeddings.register_tokens": return "register_tokens";
        }
        if (key.StartsWith("embeddings.patch_embeddings.projection.", StringComparison.Ordinal))
            return "patch_embed.proj." + key["embeddings.patch_embeddings.projection.".Length..];
        if (key.StartsWith("layernorm.", StringComparison.Ordinal)) return "norm." + key["layernorm.".Length..];
        var m = LayerKey().Match(key);
        if (!m.Success) return key;
        var rest = m.Groups["rest"].Value;
        rest = rest switch
        {
            _ when rest.StartsWith("attention.output.dense.", StringComparison.Ordinal) => "attn.proj." + rest["attention.output.dense.".Length..],
            "layer_scale1.lambda1" => "ls1.gamma",
            "layer_scale2.lambda1" => "ls2.gamma",
            _ when rest.StartsWith("mlp.weights_in.", StringComparison.Ordinal) => "mlp.w12." + rest["mlp.weights_in.".Length..],
            _ when rest.StartsWith("mlp.weights_out.", StringComparison.Ordinal) => "mlp.w3." + rest["mlp.weights_out.".Length..],
            _ => rest, // norm1.*, norm2.*, mlp.fc1.*, mlp.fc2.* keep their names
        };
        return $"blocks.{m.Groups["n"].Value}.{rest}";
    }

    [GeneratedRegex(@"^encoder\.layer\.(?<n>\d+)\.(?<rest>.+)$")]
    private static partial Regex LayerKey();

    [GeneratedRegex(@"^encoder\.layer\.(?<n>\d+)\.attention\.attention\.(?<which>query|key|value)\.(?<kind>weight|bias)$")]
    private static partial Regex QkvKey();
}
