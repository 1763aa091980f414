namespace HfDiff.MLNet.ImageQuality;

/// <summary>Options of one image-quality scorer column (ML.NET style: column names plus the metric's settings).</summary>
public sealed class ImageQualityScorerOptions
{
    /// <summary>pyiqa metric name: psnr, ssim, niqe (lpips, clipiqa, musiq when their weights are present).</summary>
    public string Metric { get; set; } = "psnr";

    /// <summary>Name of the float column that receives the score; defaults to the metric name.</summary>
    public string? OutputColumnName { get; set; }

    /// <summary>Column of the image being judged (super-resolved output): MLImage or a file path.</summary>
    public string DistortedColumnName { get; set; } = "Image";

    /// <summary>Column of the ground truth for full-reference metrics (same kind as the distorted column).</summary>
    public string? ReferenceColumnName { get; set; }

    /// <summary>pyiqa keyword arguments of the metric, e.g. <c>test_y_channel=true</c>, <c>color_space=ycbcr</c>, <c>crop_border=4</c>.</summary>
    public Dictionary<string, string> MetricSettings { get; set; } = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>Folder with pretrained assets (else <c>$HFDIFF_MODELS</c>, else <c>~/.hfdiff/models</c>).</summary>
    public string? ModelDirectory { get; set; }

    /// <summary>
    /// Torch device (<c>cpu</c>, <c>cuda</c>, <c>cuda:N</c>); null takes MLContext.GpuDeviceId / FallbackToCpu. The learned
    /// metrics (LPIPS, MUSIQ, CLIP-IQA) run their network there; PSNR, SSIM and NIQE are CPU code whatever the device.
    /// Saved with the model.
    /// </summary>
    public string? Device { get; set; }

    /// <summary>
    /// Rows read ahead and scored together; images (pairs) of equal size go through the network in one forward pass.
    /// Memory grows with it (each decoded image is 12 bytes per pixel). 1 scores row by row.
    /// </summary>
    public int BatchSize { get; set; } = DefaultBatchSize;

    public const int DefaultBatchSize = 8;

    /// <summary>Images above this many pixels are refused before decoding.</summary>
    public long MaxPixels { get; set; } = Torch.Imaging.ImageReadOptions.Default.MaxPixels;

    internal string ResolvedOutputColumnName => string.IsNullOrWhiteSpace(OutputColumnName) ? Metric : OutputColumnName!;
}
