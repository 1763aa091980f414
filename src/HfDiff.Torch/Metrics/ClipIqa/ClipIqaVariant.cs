using System.Text.Json.Serialization;

namespace HfDiff.Torch.Metrics.ClipIqa;

/// <summary>pyiqa's <c>model_type</c>: hand-written antonym prompts, or CLIP-IQA+'s learned prompt context.</summary>
public enum ClipIqaVariant
{
    /// <summary><c>clipiqa</c>: the antonym prompt pairs of <see cref="ClipIqaOptions.Prompts"/>.</summary>
    [JsonStringEnumMemberName("clipiqa")] ClipIqa,
    /// <summary><c>clipiqa+</c>: 16 learned context tokens around "Good photo.." / "Bad photo..".</summary>
    [JsonStringEnumMemberName("clipiqa+")] ClipIqaPlus,
}
