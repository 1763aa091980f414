using static TorchSharp.torch;

namespace HfDiff.Torch.Degradations;

/// <summary>
/// Observes (and may replace) the output of each pipeline stage: called with the stage name and its output; the
/// returned tensor is what the next stage consumes (return <paramref name="output"/> to only observe). The pipeline
/// owns <paramref name="output"/>; a returned replacement stays owned by the hook's caller.
/// </summary>
public delegate Tensor DegradationStageHook(string stage, Tensor output);

/// <summary>Names of the stages reported to a <see cref="DegradationStageHook"/>, in execution order.</summary>
public static class RealEsrganStages
{
    /// <summary>USM-sharpened GT (the input of the first blur).</summary>
    public const string GtUsm = "gt_usm";
    public const string Stage1Blur = "s1_blur";
    public const string Stage1Resize = "s1_resize";
    public const string Stage1Noise = "s1_noise";
    /// <summary>Clamp then JPEG.</summary>
    public const string Stage1Jpeg = "s1_jpeg";
    /// <summary>Only reported when the second blur is applied.</summary>
    public const string Stage2Blur = "s2_blur";
    public const string Stage2Resize = "s2_resize";
    public const string Stage2Noise = "s2_noise";
    /// <summary>
    /// The three final steps in execution order: resize, sinc, clamp+JPEG when
    /// <see cref="RealEsrganDegradationPlan.ResizeSincBeforeJpeg"/>; else clamp+JPEG, resize, sinc.
    /// </summary>
    public const string FinalA = "s3_a";
    public const string FinalB = "s3_b";
    public const string FinalC = "s3_c";
    /// <summary><c>clamp(round(out·255), 0, 255)/255</c>.</summary>
    public const string Lq = "lq";
}
