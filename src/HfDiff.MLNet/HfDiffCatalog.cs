using HfDiff.MLNet.ImageQuality;
using Microsoft.ML;

namespace HfDiff.MLNet;

/// <summary>Entry points on ML.NET's catalogs (C# 14 extension members).</summary>
public static class HfDiffCatalog
{
    extension(TransformsCatalog catalog)
    {
        /// <summary>Image-quality scorers: <c>mlContext.Transforms.ImageQuality.Psnr(...)</c>.</summary>
        public ImageQualityTransforms ImageQuality => new(catalog);
    }

    extension(MLContext context)
    {
        /// <summary>Image-quality evaluation: <c>mlContext.ImageQuality.Evaluate(scored, "psnr", "ssim")</c>.</summary>
        public ImageQualityCatalog ImageQuality => new(context);
    }
}
