using System.Text.Json.Serialization;

namespace HfDiff.Torch.Schedules;

/// <summary>What the ResShift denoiser outputs (the YAML <c>predict_type</c>; ResShift <c>ModelMeanType</c>).</summary>
public enum ResShiftPredictType
{
    /// <summary><c>xstart</c>: the clean latent x₀ (official SR configs).</summary>
    [JsonStringEnumMemberName("xstart")] XStart,
    /// <summary><c>epsilon</c>: the unit noise ε of x_t = x₀ + η_t(y − x₀) + κ√η_t ε.</summary>
    Epsilon,
    /// <summary><c>epsilon_scale</c>: the scaled noise κ√η_t ε.</summary>
    EpsilonScale,
    /// <summary><c>residual</c>: the residual y − x₀.</summary>
    Residual,
}

public static class ResShiftPredictTypeNames
{
    /// <summary>The config spelling (<c>xstart</c>, <c>epsilon</c>, <c>epsilon_scale</c>, <c>residual</c>).</summary>
    public static string ToConfigName(this ResShiftPredictType type) => type switch
    {
        ResShiftPredictType.XStart => "xstart",
        ResShiftPredictType.Epsilon => "epsilon",
        ResShiftPredictType.EpsilonScale => "epsilon_scale",
        ResShiftPredictType.Residual => "residual",
        _ => throw new ArgumentOutOfRangeException(nameof(type), type, "Unknown predict type."),
    };

    /// <summary>Parses the config spelling; null when unknown.</summary>
    public static ResShiftPredictType? TryParse(string? name) => name switch
    {
        "xstart" => ResShiftPredictType.XStart,
        "epsilon" => ResShiftPredictType.Epsilon,
        "epsilon_scale" => ResShiftPredictType.EpsilonScale,
        "residual" => ResShiftPredictType.Residual,
        _ => null,
    };
}
