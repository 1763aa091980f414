using HfDiff.MLNet.Common;
using HfDiff.Torch.Metrics;
using HfDiff.Torch.Metrics.Lpips;
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
        Score(Fr(Metrics.Psnr, outputColumnName, distortedColumnName, referenceColumnName, testYChannel, colorSpace, cropBorder));

    /// <summary>
    /// <see cref="Psnr(string, string, string, bool, string, int)"/> with the luma of <paramref name="colorSpace"/> typed
    /// (it applies when <paramref name="testYChannel"/> is true).
    /// </summary>
    public ImageQualityEstimator Psnr(string outputColumnName, string distortedColumnName, string referenceColumnName,
        YChannelColorSpace colorSpace, bool testYChannel = false, int cropBorder = 0) =>
        Psnr(outputColumnName, distortedColumnName, referenceColumnName, testYChannel, Name(colorSpace), cropBorder);

    /// <summary>SSIM (pyiqa: Y channel by default, float64, 'valid' Gaussian filtering).</summary>
    public ImageQualityEstimator Ssim(string outputColumnName, string distortedColumnName, string referenceColumnName,
        bool testYChannel = true, string colorSpace = "yiq", int cropBorder = 0, bool downsample = false)
    {
        var o = Fr(Metrics.Ssim, outputColumnName, distortedColumnName, referenceColumnName, testYChannel, colorSpace, cropBorder);
        o.MetricSettings["downsample"] = downsample ? "true" : "false";
        return Score(o);
    }

    /// <summary><see cref="Ssim(string, string, string, bool, string, int, bool)"/> with the luma of <paramref name="colorSpace"/> typed.</summary>
    public ImageQualityEstimator Ssim(string outputColumnName, string distortedColumnName, string referenceColumnName,
        YChannelColorSpace colorSpace, bool testYChannel = true, int cropBorder = 0, bool downsample = false) =>
        Ssim(outputColumnName, distortedColumnName, referenceColumnName, testYChannel, Name(colorSpace), cropBorder, downsample);

    /// <summary>NIQE (no reference, lower is better); needs the NIQE parameter file in the model directory.</summary>
    public ImageQualityEstimator Niqe(string outputColumnName, string inputColumnName, string? modelDirectory = null) =>
        Score(new ImageQualityScorerOptions { Metric = Metrics.Niqe, OutputColumnName = outputColumnName, DistortedColumnName = inputColumnName, ModelDirectory = modelDirectory });

    /// <summary>
    /// LPIPS v0.1 distance of <paramref name="distortedColumnName"/> to <paramref name="referenceColumnName"/> (lower is
    /// better); <paramref name="net"/> <c>alex</c> (pyiqa's <c>lpips</c>) or <c>vgg</c> (<c>lpips-vgg</c>). Needs the
    /// torchvision trunk and LPIPS linear layers in the model directory.
    /// </summary>
    public ImageQualityEstimator Lpips(string outputColumnName, string distortedColumnName, string referenceColumnName, string net = "alex",
        string? modelDirectory = null, int batchSize = ImageQualityScorerOptions.DefaultBatchSize, string? device = null) =>
        Score(new ImageQualityScorerOptions
        {
            Metric = net.ToLowerInvariant() switch
            {
                "alex" => Metrics.Lpips,
                "vgg" => Metrics.LpipsVgg,
                _ => throw new ArgumentOutOfRangeException(nameof(net), net, $"net must be alex or vgg; got '{net}'."),
            },
            OutputColumnName = outputColumnName, DistortedColumnName = distortedColumnName, ReferenceColumnName = referenceColumnName,
            ModelDirectory = modelDirectory, BatchSize = batchSize, Device = device,
        });

    /// <summary><see cref="Lpips(string, string, string, string, string?, int, string?)"/> with the network typed.</summary>
    public ImageQualityEstimator Lpips(string outputColumnName, string distortedColumnName, string referenceColumnName, LpipsNet net,
        string? modelDirectory = null, int batchSize = ImageQualityScorerOptions.DefaultBatchSize, string? device = null) =>
        Lpips(outputColumnName, distortedColumnName, referenceColumnName, Name(net), modelDirectory, batchSize, device);

    /// <summary>MUSIQ (KonIQ-10k head; no reference, higher is better). Needs <c>musiq_koniq_ckpt-e95806b9.pth</c> in the model directory.</summary>
    public ImageQualityEstimator Musiq(string outputColumnName, string inputColumnName, string? modelDirectory = null,
        int batchSize = ImageQualityScorerOptions.DefaultBatchSize, string? device = null) =>
        Score(Nr(Metrics.Musiq, outputColumnName, inputColumnName, modelDirectory, batchSize, device));

    /// <summary>
    /// CLIP-IQA (no reference, higher is better, in [0,1]); <paramref name="plus"/> selects CLIP-IQA+ (learned prompts).
    /// Needs <c>RN50.pt</c> and <c>bpe_simple_vocab_16e6.txt.gz</c> (and for CLIP-IQA+ its learned-prompt file) in the model directory.
    /// </summary>
    public ImageQualityEstimator ClipIqa(string outputColumnName, string inputColumnName, bool plus = false, string? modelDirectory = null,
        int batchSize = ImageQualityScorerOptions.DefaultBatchSize, string? device = null) =>
        Score(Nr(plus ? Metrics.ClipIqaPlus : Metrics.ClipIqa, outputColumnName, inputColumnName, modelDirectory, batchSize, device));

    static string Name(YChannelColorSpace colorSpace) => Enum.IsDefined(colorSpace)
        ? colorSpace.ToString().ToLowerInvariant()
        : throw new ArgumentOutOfRangeException(nameof(colorSpace), colorSpace, "colorSpace must be Yiq or YCbCr.");

    static string Name(LpipsNet net) => Enum.IsDefined(net)
        ? net.ToString().ToLowerInvariant()
        : throw new ArgumentOutOfRangeException(nameof(net), net, "net must be Alex or Vgg.");

    static ImageQualityScorerOptions Nr(string metric, string output, string input, string? modelDirectory, int batchSize, string? device) => new()
    {
        Metric = metric, OutputColumnName = output, DistortedColumnName = input, ModelDirectory = modelDirectory, BatchSize = batchSize, Device = device,
    };

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
