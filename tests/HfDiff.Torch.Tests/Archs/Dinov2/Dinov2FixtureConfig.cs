using System.Text.Json;
using HfDiff.Torch.Archs.Dinov2;

namespace HfDiff.Torch.Tests.Archs.Dinov2;

/// <summary>Builds <see cref="DinoVisionTransformerOptions"/> from the reference constructor kwargs recorded in the fixtures.</summary>
static class Dinov2FixtureConfig
{
    /// <summary>
    /// <paramref name="kwargs"/>: the fixture's <c>constructor_kwargs</c>; architecture fields missing there (the hub
    /// functions pass them positionally) are taken from <paramref name="arch"/> (manifest: embed_dim, depth, num_heads, mlp_hidden).
    /// </summary>
    public static DinoVisionTransformerOptions Options(JsonElement kwargs, JsonElement? arch = null)
    {
        int Int(string name) => kwargs.TryGetProperty(name, out var v) ? v.GetInt32() : arch!.Value.GetProperty(name).GetInt32();
        if (kwargs.TryGetProperty("block_chunks", out var chunks) && chunks.GetInt32() != 0)
            Assert.Inconclusive($"block_chunks={chunks.GetInt32()} is not ported (hub models use 0).");
        int embed = Int("embed_dim");
        double mlpRatio = kwargs.TryGetProperty("mlp_ratio", out var r) ? r.GetDouble() : arch!.Value.GetProperty("mlp_hidden").GetDouble() / embed;
        var init = kwargs.GetProperty("init_values");
        return new DinoVisionTransformerOptions
        {
            ImgSize = kwargs.GetProperty("img_size").GetInt32(),
            PatchSize = kwargs.GetProperty("patch_size").GetInt32(),
            EmbedDim = embed,
            Depth = Int("depth"),
            NumHeads = Int("num_heads"),
            MlpRatio = mlpRatio,
            InitValues = init.ValueKind == JsonValueKind.Null ? null : init.GetDouble(),
            FfnLayer = kwargs.GetProperty("ffn_layer").GetString() switch
            {
                "mlp" => Dinov2FfnLayer.Mlp,
                "swiglu" or "swiglufused" => Dinov2FfnLayer.SwiGlu,
                "identity" => Dinov2FfnLayer.Identity,
                var other => throw new AssertFailedException($"unknown ffn_layer '{other}'"),
            },
            NumRegisterTokens = kwargs.GetProperty("num_register_tokens").GetInt32(),
            InterpolateAntialias = kwargs.GetProperty("interpolate_antialias").GetBoolean(),
            InterpolateOffset = kwargs.GetProperty("interpolate_offset").GetDouble(),
        };
    }
}
