using HfDiff.MLNet.Common;
using Microsoft.ML;

namespace HfDiff.MLNet.SuperResolution;

/// <summary>A fitted SR transform.</summary>
public sealed class SuperResolveTransformer : ChainTransformer
{
    internal SuperResolveTransformer(ITransformer chain) : base(chain) { }
}
