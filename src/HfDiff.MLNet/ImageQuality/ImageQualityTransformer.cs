using HfDiff.MLNet.Common;
using Microsoft.ML;

namespace HfDiff.MLNet.ImageQuality;

/// <summary>A fitted image-quality scorer.</summary>
public sealed class ImageQualityTransformer : ChainTransformer
{
    /// <summary>The float column this scorer adds.</summary>
    public string OutputColumnName { get; }

    internal ImageQualityTransformer(ITransformer chain, string outputColumnName) : base(chain) => OutputColumnName = outputColumnName;
}
