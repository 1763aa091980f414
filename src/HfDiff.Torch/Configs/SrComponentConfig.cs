namespace HfDiff.Torch.Configs;

/// <summary>
/// One <c>{target, params, …}</c> section of a ResShift/SinSR config (<c>model</c> or <c>autoencoder</c>).
/// </summary>
/// <param name="Target">The Python class path, e.g. <c>models.unet.UNetModelSwin</c>, <c>ldm.models.autoencoder.VQModelTorch</c>.</param>
/// <param name="Params">Constructor kwargs by their snake_case names. Values: <see cref="int"/> (or <see cref="long"/> when
/// larger), <see cref="double"/>, <see cref="bool"/>, <see cref="string"/>, null, <see cref="IReadOnlyList{T}"/> of values and
/// nested <see cref="IReadOnlyDictionary{TKey,TValue}"/> (e.g. the VQGAN's <c>ddconfig</c>).</param>
/// <param name="Settings">The section's other keys (<c>ckpt_path</c>, <c>use_fp16</c>, <c>teacher_ckpt_path</c>, …), same value types.</param>
public sealed record SrComponentConfig(string Target, IReadOnlyDictionary<string, object?> Params, IReadOnlyDictionary<string, object?> Settings)
{
    /// <summary><c>ckpt_path</c> (null when absent or <c>~</c>).</summary>
    public string? CkptPath => Settings.TryGetValue("ckpt_path", out var v) ? v as string : null;

    /// <summary><c>use_fp16</c> of the section (the autoencoder's half-precision flag); false when absent.</summary>
    public bool UseFp16 => Settings.TryGetValue("use_fp16", out var v) && v is true;

    /// <summary>A copy without the <c>*ckpt_path</c> settings (checkpoint files are resolved through the model directory).</summary>
    public SrComponentConfig WithoutCheckpointPaths() => this with
    {
        Settings = Settings.Where(kv => !kv.Key.EndsWith("ckpt_path", StringComparison.Ordinal)).ToDictionary(kv => kv.Key, kv => kv.Value),
    };

    /// <summary>Same target, params and settings (deep comparison of the value trees).</summary>
    public bool ContentEquals(SrComponentConfig? other) =>
        other is not null && Target == other.Target && ConfigValues.DeepEquals(Params, other.Params) && ConfigValues.DeepEquals(Settings, other.Settings);
}
