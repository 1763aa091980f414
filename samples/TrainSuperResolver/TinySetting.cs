using HfDiff.Torch.Archs.ResShift;
using HfDiff.Torch.Configs;
using HfDiff.Torch.Training.Core;

/// <summary>
/// The sample's tiny setting: an official-layout YAML of a one-level 32-channel UNet and a 32-channel VQGAN f4 (random
/// starting weights, written beside the YAML), trained for two iterations on 128² patches.
/// </summary>
static class TinySetting
{
    /// <summary>
    /// Writes <paramref name="name"/> into <paramref name="folder"/>: the teacher's YAML (UNet from scratch) when
    /// <paramref name="teacher"/> is null, else the student's, started from and distilled from that file.
    /// </summary>
    public static string Write(string folder, string name, string? teacher)
    {
        Directory.CreateDirectory(folder);
        var vq = Path.Combine(folder, "vq_f4_random.pth");
        var model = teacher is null ? "ckpt_path: ~" : $"ckpt_path: {teacher}\n  teacher_ckpt_path: {teacher}";
        var path = Path.Combine(folder, name);
        File.WriteAllText(path, $"""
            model:
              target: models.unet.UNetModelSwin
              {model}
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
                scale_factor: 1.0
                normalize_input: true
                latent_flag: true
            autoencoder:
              target: ldm.models.autoencoder.VQModelTorch
              ckpt_path: {vq}
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
            train:
              lr: 1e-4
              batch: [2, 1]
              microbatch: 1
              iterations: 2
              warmup_iterations: 1
              save_freq: 2
              seed: 0
              learn_xT: True
              finetune_use_gt: 1.0
            hfdiff:
              gt_size: 128
              log_every: 1
            """);
        if (!File.Exists(vq))
        {
            // The frozen autoencoder's random weights (the official file is autoencoder_vq_f4.pth).
            using var autoencoder = VQModelTorch.FromKwargs(SrConfigReader.Load(path).Autoencoder!.Params);
            StateDictFiles.WritePth(vq, autoencoder.state_dict());
        }
        return path;
    }
}
