using HfDiff.MLNet.Common;
using Microsoft.ML;

namespace HfDiff.MLNet.ImageQuality;

/// <summary>
/// Image-quality scorers, reached as <c>mlContext.Transforms.ImageQuality</c>. Each adds a float column; full-reference
/// metrics take the distorted (SR) and reference (GT) columns, no-reference metrics one column. Columns hold MLImage
/// values or image file paths. Defaults are pyiqa's (psnr on RGB, ssim and niqe on Y of YIQ).
/// </summary>
public sealed class ImageQualityTransforms
{
    readonly TransformsCatalog _catalog;

    internal ImageQualityTransforms(TransformsCatalog catalog) => _catalog = catalog;

    /// <summary>Any registered metric by pyiqa name with pyiqa-style settings.</summary>
    public ImageQualityEstimator Score(ImageQualityScorerOptions options) =>
        new(_catalog, options, DeviceSelection.Resolve(options.Device, MLNetInternals.EnvironmentOf(_catalog)));

    /// <summary>PSNR (dB) of <paramref name="distortedColumnName"/> against <paramref name="referenceColumnName"/>.</summary>
    public ImageQualityEstimator Psnr(string outputColumnName, string distortedColumnName, string referenceColumnName,
        bool testYChannel = false, string colorSpace = "yiq", int cropBorder = 0) =>
        Score(Fr("psnr", outputColumnName, distortedColumnName, referenceColumnName, testYChannel, colorSpace, cropBorder));

    /// <summary>SSIM (pyiqa: Y channel by default, float64, 'valid' Gaussian filtering).</summary>
    public ImageQualityEstimator Ssim(string outputColumnName, string distortedColumnName, string referenceColumnName,
        bool testYChannel = true, string colorSpace = "yiq", int cropBorder = 0, bool downsample = false)
    {
        var o = Fr("ssim", outputColumnName, distortedColumnName, referenceColumnName, testYChannel, colorSpace, cropBorder);
        o.MetricSettings["downsample"] = downsample ? "true" : "false";
        return Score(o);
    }

    /// <summary>NIQE (no reference, lower is better); needs the NIQE parameter file in the model directory.</summary>
    public ImageQualityEstimator Niqe(string outputColumnName, string inputColumnName, string? modelDirectory = null) =>
        Score(new ImageQualityScorerOptions { Metric = "niqe", OutputColumnName = outputColumnName, DistortedColumnName = inputColumnName, ModelDirectory = modelDirectory });

    static ImageQualityScorerOptions Fr(string metric, string output, string distorted, string reference, bool y, string colorSpace, int crop)
    {
        if (crop < 0) throw new ArgumentOutOfRangeException(nameof(crop), $"cropBorder must be >= 0; got {crop}.");
        return new ImageQualityScorerOptions
        {
            Metric = metric, OutputColumnName = output, DistortedColumnName = distorted, ReferenceColumnName = reference,
            MetricSettings = new(StringComparer.OrdinalIgnoreCase)
            {
                ["test_y_channel"] = y ? "true" : "false", ["color_space"] = colorSpace, ["crop_border"] = crop.ToString(System.Globalization.CultureInfo.InvariantCulture),
            },
        };
    }
}
