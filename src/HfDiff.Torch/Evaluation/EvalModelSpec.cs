using HfDiff.Torch.Pipelines;

namespace HfDiff.Torch.Evaluation;

/// <summary>
/// Models named on a command line as <c>NAME=SPEC</c>. SPEC is <c>bicubic</c>; <c>sinsr</c> or <c>resshift</c> (the official
/// checkpoints from the model directory); <c>default</c> or <c>hfdiff-tiny</c> (the bundled model); a folder of SR images made elsewhere; or a UNet checkpoint
/// (<c>.pth</c>/<c>.pt</c>/<c>.safetensors</c>) optionally followed by <c>+CONFIG</c> (<c>sinsr</c>, <c>resshift</c>,
/// <c>hfdiff-tiny</c> or an official YAML file; default sinsr), with the autoencoder from the model directory (the bundled
/// one for <c>hfdiff-tiny</c>).
/// </summary>
public static class EvalModelSpec
{
    public static (string Name, string Spec) Split(string nameEqualsSpec, string what)
    {
        int eq = nameEqualsSpec.IndexOf('=');
        if (eq <= 0 || eq == nameEqualsSpec.Length - 1)
            throw new ArgumentException($"--{what} takes NAME=SPEC; got '{nameEqualsSpec}'.");
        var name = nameEqualsSpec[..eq].Trim();
        EvalNames.Check(name, what);
        return (name, nameEqualsSpec[(eq + 1)..].Trim());
    }

    public static IEvalModel Create(string name, string spec, SuperResolverOptions baseOptions)
    {
        EvalNames.Check(name, "model");
        ArgumentNullException.ThrowIfNull(baseOptions);
        switch (spec.ToLowerInvariant())
        {
            case "bicubic": return new BicubicEvalModel(name);
            case "sinsr" or "resshift":
            {
                var r = new SuperResolver(baseOptions with { Config = spec.ToLowerInvariant() });
                return new SuperResolverEvalModel(name, r, $"official {spec.ToLowerInvariant()} checkpoints ({r.UnetCheckpointPath}), {r.Steps} step(s)");
            }
            case "default" or Configs.SrConfigPresets.BundledName:
            {
                var r = new SuperResolver(baseOptions with { Config = Configs.SrConfigPresets.BundledName });
                return new SuperResolverEvalModel(name, r, $"bundled {Configs.SrConfigPresets.BundledName} model, {r.Steps} step(s)");
            }
        }
        if (Directory.Exists(spec)) return new FolderEvalModel(name, spec);
        var plus = spec.LastIndexOf('+');
        var (path, config) = plus > 0 ? (spec[..plus], spec[(plus + 1)..]) : (spec, "sinsr");
        var ext = Path.GetExtension(path).ToLowerInvariant();
        if (ext is ".pth" or ".pt" or ".safetensors" or ".ckpt")
        {
            if (!File.Exists(path)) throw new FileNotFoundException($"Model '{name}': checkpoint file '{path}' does not exist.");
            var r = new SuperResolver(baseOptions with { Config = config, UnetCheckpoint = path });
            return new SuperResolverEvalModel(name, r, $"{Path.GetFileName(path)} ({config}), {r.Steps} step(s)");
        }
        throw new ArgumentException(
            $"Model '{name}': '{spec}' is neither bicubic, sinsr, resshift, default, an existing folder of SR images, nor a checkpoint file (.pth, .pt, .safetensors; optionally +CONFIG).");
    }
}
