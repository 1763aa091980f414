using HfDiff.Torch.Schedules;

namespace HfDiff.Torch.Configs;

/// <summary>
/// Built-in configs equal to the official files' model / diffusion / autoencoder sections:
/// <c>sinsr</c> = wyf0912/SinSR @ f1735490e980162435391162ddd18c0642327c5b configs/SinSR.yaml,
/// <c>resshift</c> = zsyOAOA/ResShift @ 3ce1d81e8402fd50083809ae288a3977f6921bdd configs/realsr_swinunet_realesrgan256.yaml.
/// Checkpoint paths are left out (weights are resolved through <see cref="Assets.KnownAssets"/>); the autoencoder keeps
/// its <c>use_fp16</c> setting.
/// </summary>
public static class SrConfigPresets
{
    public const string SinSrName = "sinsr";
    public const string ResShiftName = "resshift";
    /// <summary>The bundled default model (<see cref="Assets.BundledModel"/>), not an official config.</summary>
    public const string BundledName = Assets.BundledModel.Name;

    public static IReadOnlyList<string> Names { get; } = [SinSrName, ResShiftName, BundledName];

    /// <summary>SinSR one-step student (6 input channels: x_t and lq concatenated; no <c>lq_size</c>).</summary>
    public static SrConfig SinSr { get; } = Official(SinSrName, OfficialUnet(inChannels: 6, lqSize: null));

    /// <summary>ResShift ×4 real-SR model (15 steps; 3 input channels, lq concatenated after an identity feature extractor).</summary>
    public static SrConfig ResShift { get; } = Official(ResShiftName, OfficialUnet(inChannels: 3, lqSize: 64));

    static SrConfig Official(string name, Dictionary<string, object?> unet) => new()
    {
        Source = $"preset:{name}",
        Model = new SrComponentConfig("models.unet.UNetModelSwin", unet, new Dictionary<string, object?>()),
        DiffusionTarget = SrConfigReader.GaussianDiffusionTarget,
        Diffusion = OfficialDiffusion,
        DiffusionParams = OfficialDiffusionParams(),
        Autoencoder = VqF4(),
    };

    /// <summary>
    /// The <c>model.params</c> both official files share; they differ only in <c>in_channels</c> and ResShift's
    /// <c>lq_size</c> (SinSR.yaml keeps the keys in another order, which a dictionary does not see).
    /// </summary>
    static Dictionary<string, object?> OfficialUnet(int inChannels, int? lqSize)
    {
        var unet = new Dictionary<string, object?>
        {
            ["image_size"] = 64,
            ["in_channels"] = inChannels,
            ["model_channels"] = 160,
            ["out_channels"] = 3,
            ["attention_resolutions"] = List(64, 32, 16, 8),
            ["dropout"] = 0,
            ["channel_mult"] = List(1, 2, 2, 4),
            ["num_res_blocks"] = List(2, 2, 2, 2),
            ["conv_resample"] = true,
            ["dims"] = 2,
            ["use_fp16"] = false,
            ["num_head_channels"] = 32,
            ["use_scale_shift_norm"] = true,
            ["resblock_updown"] = false,
            ["swin_depth"] = 2,
            ["swin_embed_dim"] = 192,
            ["window_size"] = 8,
            ["mlp_ratio"] = 4,
            ["cond_lq"] = true,
        };
        if (lqSize is int l) unet["lq_size"] = l;
        return unet;
    }

    /// <summary>A preset by name (case-insensitive).</summary>
    public static SrConfig Get(string name) => name?.ToLowerInvariant() switch
    {
        SinSrName => SinSr,
        ResShiftName => ResShift,
        BundledName => Assets.BundledModel.Config,
        _ => throw new ArgumentOutOfRangeException(nameof(name), $"Unknown SR config preset '{name}'; known: {string.Join(", ", Names)}."),
    };

    /// <summary>The diffusion params shared by both official files.</summary>
    static ResShiftScheduleOptions OfficialDiffusion => new()
    {
        Sf = 4,
        ScheduleName = "exponential",
        Power = 0.3,
        EtasEnd = 0.99,
        Steps = 15,
        MinNoiseLevel = 0.04,
        Kappa = 2.0,
        WeightedMse = false,
        PredictType = ResShiftPredictType.XStart,
        TimestepRespacing = null,
        ScaleFactor = 1.0,
        NormalizeInput = true,
        LatentFlag = true,
    };

    static Dictionary<string, object?> OfficialDiffusionParams() => new()
    {
        ["sf"] = 4,
        ["schedule_name"] = "exponential",
        ["schedule_kwargs"] = new Dictionary<string, object?> { ["power"] = 0.3 },
        ["etas_end"] = 0.99,
        ["steps"] = 15,
        ["min_noise_level"] = 0.04,
        ["kappa"] = 2.0,
        ["weighted_mse"] = false,
        ["predict_type"] = "xstart",
        ["timestep_respacing"] = null,
        ["scale_factor"] = 1.0,
        ["normalize_input"] = true,
        ["latent_flag"] = true,
    };

    static SrComponentConfig VqF4() => new("ldm.models.autoencoder.VQModelTorch", new Dictionary<string, object?>
    {
        ["embed_dim"] = 3,
        ["n_embed"] = 8192,
        ["ddconfig"] = new Dictionary<string, object?>
        {
            ["double_z"] = false,
            ["z_channels"] = 3,
            ["resolution"] = 256,
            ["in_channels"] = 3,
            ["out_ch"] = 3,
            ["ch"] = 128,
            ["ch_mult"] = List(1, 2, 4),
            ["num_res_blocks"] = 2,
            ["attn_resolutions"] = new List<object?>(),
            ["dropout"] = 0.0,
            ["padding_mode"] = "zeros",
        },
    }, new Dictionary<string, object?> { ["use_fp16"] = true });

    static List<object?> List(params int[] values) => values.Select(v => (object?)v).ToList();
}
