using System.Text.Json;

namespace HfDiff.Tests.Common;

/// <summary>
/// An official-style training YAML (JSON flow mappings are YAML) with the reduced networks of fixtures/resshift and the
/// settings of fixtures/trainer, and a short <c>train:</c> section (batch 2 of microbatch 1, gt_size 128, checkpoint and
/// log every iteration), for the CLI and ML.NET training smoke tests.
/// </summary>
public static class FixtureTrainingYaml
{
    /// <summary>Writes <c>train.yaml</c> into <paramref name="dir"/> and returns its path.</summary>
    /// <param name="student">The SinSR student (distilled from a copy of itself: the fixture's teacher has another architecture); else the ResShift teacher.</param>
    /// <param name="hfdiff">Extra lines of the <c>hfdiff:</c> section, each indented by two spaces.</param>
    public static string Write(string dir, long iterations, bool student = false, string hfdiff = "")
    {
        var trainer = TestPaths.Fixture("trainer");
        var source = TestPaths.Fixture("resshift");
        var cfg = TestPaths.ReadConfig(trainer);
        string J(string name) => cfg.GetProperty(name).GetRawText();
        var unet = cfg.GetProperty("unet_kwargs").GetProperty(student ? "student" : "teacher").GetRawText();
        var model = student
            ? $"ckpt_path: {Path.Combine(source, "sinsr_unet_B.pth")}\n  teacher_ckpt_path: {Path.Combine(source, "sinsr_unet_B.pth")}"
            : $"ckpt_path: {Path.Combine(source, "resshift_unet_A.pth")}";
        var diffusion = JsonSerializer.Serialize(cfg.GetProperty("diffusion").EnumerateObject()
            .Where(p => p.Value.ValueKind != JsonValueKind.Null).ToDictionary(p => p.Name, p => p.Value));
        var yaml = $"""
            model:
              target: models.unet.UNetModelSwin
              {model}
              params: {unet}
            autoencoder:
              target: ldm.models.autoencoder.VQModelTorch
              ckpt_path: {Path.Combine(source, "autoencoder_vq_f4.pth")}
              use_fp16: False
              params: {J("autoencoder_kwargs")}
            diffusion:
              target: models.script_util.create_gaussian_diffusion
              params: {diffusion}
            train:
              lr: 3e-4
              batch: [2, 1]
              microbatch: 1
              ema_rate: 0.9
              iterations: {iterations}
              warmup_iterations: 2
              weight_decay: 0
              save_freq: 1
              seed: 3
              learn_xT: {(student ? "True" : "False")}
              finetune_use_gt: {(student ? "1.0" : "0")}
              val_freq: 2
            hfdiff:
              gt_size: 128
              log_every: 1
            {hfdiff}
            """;
        var path = Path.Combine(dir, "train.yaml");
        File.WriteAllText(path, yaml);
        return path;
    }
}
