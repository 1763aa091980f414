namespace HfDiff.MLNet.SuperResolution;

/// <summary>Settings of <see cref="SuperResolutionCatalog.Evaluate"/>.</summary>
public sealed class SuperResolutionEvaluationOptions
{
    /// <summary>The column each model writes its SR image to (the output column of its SuperResolve step).</summary>
    public string SuperResolvedColumnName { get; set; } = "SuperResolved";
    /// <summary>Ground-truth column (paths or images); null = no-reference metrics only.</summary>
    public string? GroundTruthColumnName { get; set; }
    /// <summary>pyiqa metric names. PSNR and SSIM are computed on Y of YCbCr, as SinSR/OSEDiff/HF-Diff report them.</summary>
    public IList<string> Metrics { get; set; } = ["psnr", "ssim", "niqe"];
    /// <summary>Folder of pretrained metric files (NIQE parameters, LPIPS/MUSIQ/CLIP weights); null = the default model directory.</summary>
    public string? ModelDirectory { get; set; }
    /// <summary>Device of the learned metrics; null = MLContext.GpuDeviceId / FallbackToCpu.</summary>
    public string? Device { get; set; }
}
