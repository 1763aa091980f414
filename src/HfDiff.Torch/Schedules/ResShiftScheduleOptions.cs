namespace HfDiff.Torch.Schedules;

/// <summary>
/// The <c>diffusion.params</c> of the official ResShift / SinSR configs (arguments of
/// <c>models.script_util.create_gaussian_diffusion</c>). Defaults are the official realsr ×4 values
/// (<c>realsr_swinunet_realesrgan256.yaml</c> = <c>SinSR.yaml</c>). Validated by <see cref="ResShiftSchedule"/>.
/// </summary>
public sealed record ResShiftScheduleOptions
{
    /// <summary>κ, the noise scale of the residual-shifting kernel.</summary>
    public double Kappa { get; init; } = 2.0;
    /// <summary>η_T, the last shifting weight (√η_T = √etas_end).</summary>
    public double EtasEnd { get; init; } = 0.99;
    /// <summary>Sets √η_1 = min(min_noise_level/κ, min_noise_level, √0.001).</summary>
    public double MinNoiseLevel { get; init; } = 0.04;
    /// <summary><c>schedule_kwargs.power</c> (p of the exponential schedule).</summary>
    public double Power { get; init; } = 0.3;
    /// <summary>T, the number of diffusion steps the model was trained with.</summary>
    public int Steps { get; init; } = 15;
    /// <summary>Only <c>exponential</c> is supported (<c>ldm</c> reads a .mat file and is not used by the SR configs).</summary>
    public string ScheduleName { get; init; } = "exponential";
    /// <summary>Super-resolution factor (bicubic upsampling of the LR image before encoding).</summary>
    public int Sf { get; init; } = 4;
    /// <summary>Divide the model input by a per-step constant (see <see cref="ResShiftSchedule.ScaleInputDivisorF32"/>).</summary>
    public bool NormalizeInput { get; init; } = true;
    /// <summary>Latent scaling: z = scale_factor · Encode(x); decode uses z / scale_factor.</summary>
    public double ScaleFactor { get; init; } = 1.0;
    /// <summary>True when diffusing in an autoencoder latent space (selects the input normaliser).</summary>
    public bool LatentFlag { get; init; } = true;
    public ResShiftPredictType PredictType { get; init; } = ResShiftPredictType.XStart;
    /// <summary>Training only: weight the MSE by <see cref="ResShiftSchedule.WeightLossMse"/>.</summary>
    public bool WeightedMse { get; init; }
    /// <summary>Keep only this many of the <see cref="Steps"/> steps (null = all), as <c>space_timesteps</c>.</summary>
    public int? TimestepRespacing { get; init; }
}
