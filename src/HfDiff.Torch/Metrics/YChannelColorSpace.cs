using System.Text.Json.Serialization;

namespace HfDiff.Torch.Metrics;

/// <summary>Which luma pyiqa's <c>to_y_channel</c> takes when a metric tests the Y channel.</summary>
public enum YChannelColorSpace
{
    /// <summary>YIQ luma, Y = 0.299 R + 0.587 G + 0.114 B (pyiqa's default <c>color_space='yiq'</c>).</summary>
    Yiq,
    /// <summary>ITU-R BT.601 YCbCr luma, Y = (65.481 R + 128.553 G + 24.966 B + 16) / 255 (pyiqa <c>'ycbcr'</c>, BasicSR's <c>rgb2ycbcr(y_only)</c>).</summary>
    [JsonStringEnumMemberName("ycbcr")] YCbCr,
}
