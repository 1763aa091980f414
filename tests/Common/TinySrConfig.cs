namespace HfDiff.Tests.Common;

/// <summary>
/// An official-layout ResShift YAML for networks small enough to build in milliseconds (UNet: one level of 32 channels;
/// VQGAN f4: three levels of 32 channels, 16 codes), for tests that need a config and checkpoints but no fixtures.
/// <see cref="With"/> substitutes single values to make invalid or absurd variants.
/// </summary>
public static class TinySrConfig
{
    public const string Yaml = """
        model:
          target: models.unet.UNetModelSwin
          ckpt_path: ~
          params:
            image_size: 8
            in_channels: 3
            model_channels: 32
            out_channels: 3
            attention_resolutions: [64]
            dropout: 0
            channel_mult: [1]
            num_res_blocks: [1]
            conv_resample: true
            dims: 2
            use_fp16: false
            num_head_channels: 32
            use_scale_shift_norm: true
            resblock_updown: false
            swin_depth: 1
            swin_embed_dim: 32
            window_size: 8
            mlp_ratio: 4
            cond_lq: true
            lq_size: 8
        diffusion:
          target: models.script_util.create_gaussian_diffusion
          params:
            sf: 4
            schedule_name: exponential
            schedule_kwargs:
              power: 0.3
            etas_end: 0.99
            steps: 15
            min_noise_level: 0.04
            kappa: 2.0
            weighted_mse: false
            predict_type: xstart
            timestep_respacing: ~
            scale_factor: 1.0
            normalize_input: true
            latent_flag: true
        autoencoder:
          target: ldm.models.autoencoder.VQModelTorch
          ckpt_path: ~
          use_fp16: false
          params:
            embed_dim: 3
            n_embed: 16
            ddconfig:
              double_z: false
              z_channels: 3
              resolution: 64
              in_channels: 3
              out_ch: 3
              ch: 32
              ch_mult: [1, 1, 1]
              num_res_blocks: 1
              attn_resolutions: []
              dropout: 0.0
        """;

    /// <summary><see cref="Yaml"/> with the first line <c>key: old</c> (indentation kept) changed to <c>key: value</c>.</summary>
    public static string With(string key, string value)
    {
        var lines = Yaml.Split('\n');
        int i = Array.FindIndex(lines, l => l.TrimStart().StartsWith(key + ":", StringComparison.Ordinal));
        if (i < 0) throw new ArgumentException($"no line '{key}:' in the tiny config", nameof(key));
        lines[i] = lines[i][..(lines[i].Length - lines[i].TrimStart().Length)] + key + ": " + value;
        return string.Join('\n', lines);
    }
}
