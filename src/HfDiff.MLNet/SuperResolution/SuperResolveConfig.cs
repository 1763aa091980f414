using HfDiff.MLNet.Common;
using HfDiff.Torch.Pipelines;

namespace HfDiff.MLNet.SuperResolution;

/// <summary>The resolver settings as they travel inside a saved model (base64 JSON in a constant column).</summary>
internal sealed record SuperResolveConfig
{
    public required SuperResolverOptions Resolver { get; init; }
    public long MaxPixels { get; init; }

    public string Encode() => ConfigCodec.Encode(this);
    public static SuperResolveConfig Decode(string encoded) => ConfigCodec.Decode<SuperResolveConfig>(encoded, "super-resolution");
}
