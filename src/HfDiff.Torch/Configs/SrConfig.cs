using HfDiff.Torch.Schedules;

namespace HfDiff.Torch.Configs;

/// <summary>
/// A ResShift / SinSR inference config (the <c>model</c>, <c>diffusion</c> and <c>autoencoder</c> sections of the official
/// YAML files). The diffusion section is typed; the network sections keep their raw params for the networks'
/// <c>FromDictionary</c> factories. Other sections (degradation, data, train) are not kept.
/// </summary>
public sealed record SrConfig
{
    /// <summary>Where it came from (file path, preset name or the name given to <see cref="SrConfigReader.Parse"/>).</summary>
    public required string Source { get; init; }
    /// <summary>The denoiser (<c>models.unet.UNetModelSwin</c>).</summary>
    public required SrComponentConfig Model { get; init; }
    /// <summary><c>diffusion.target</c> (<c>models.script_util.create_gaussian_diffusion</c>).</summary>
    public required string DiffusionTarget { get; init; }
    /// <summary><c>diffusion.params</c>, typed; keys missing from the file take <c>create_gaussian_diffusion</c>'s defaults.</summary>
    public required ResShiftScheduleOptions Diffusion { get; init; }
    /// <summary>The raw <c>diffusion.params</c> (including keys the typed options do not use).</summary>
    public required IReadOnlyDictionary<string, object?> DiffusionParams { get; init; }
    /// <summary>The first-stage model (<c>ldm.models.autoencoder.VQModelTorch</c>), null when the config has none.</summary>
    public SrComponentConfig? Autoencoder { get; init; }

    /// <summary>A copy whose sections carry no <c>*ckpt_path</c> settings (as the presets).</summary>
    public SrConfig WithoutCheckpointPaths() => this with
    {
        Model = Model.WithoutCheckpointPaths(),
        Autoencoder = Autoencoder?.WithoutCheckpointPaths(),
    };

    /// <summary>Same model, diffusion and autoencoder content (the source name is ignored).</summary>
    public bool ContentEquals(SrConfig? other) =>
        other is not null
        && Model.ContentEquals(other.Model)
        && DiffusionTarget == other.DiffusionTarget
        && Diffusion == other.Diffusion
        && ConfigValues.DeepEquals(DiffusionParams, other.DiffusionParams)
        && (Autoencoder is null ? other.Autoencoder is null : Autoencoder.ContentEquals(other.Autoencoder));
}
