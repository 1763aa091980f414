using System.Text;
using System.Text.Json;
using HfDiff.Torch.Pipelines;

namespace HfDiff.MLNet.SuperResolution;

/// <summary>The resolver settings as they travel inside a saved model (base64 JSON in a constant column).</summary>
internal sealed record SuperResolveConfig
{
    public required SuperResolverOptions Resolver { get; init; }
    public long MaxPixels { get; init; }

    public string Encode() => Convert.ToBase64String(Encoding.UTF8.GetBytes(JsonSerializer.Serialize(this)));

    public static SuperResolveConfig Decode(string encoded) =>
        JsonSerializer.Deserialize<SuperResolveConfig>(Encoding.UTF8.GetString(Convert.FromBase64String(encoded)))
        ?? throw new InvalidDataException("Empty super-resolution configuration in the model.");
}
