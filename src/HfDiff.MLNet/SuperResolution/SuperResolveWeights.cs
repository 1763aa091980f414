using HfDiff.Torch.Archs.ResShift;
using HfDiff.Torch.Assets;
using HfDiff.Torch.Configs;
using HfDiff.Torch.Pipelines;

namespace HfDiff.MLNet.SuperResolution;

/// <summary>
/// The weight files a <see cref="SuperResolver"/> built from given options will read, checked when the SR transform is
/// fitted: the transform builds its resolver at the first row, and a missing file would otherwise surface there, inside
/// <c>Evaluate</c> or a cursor. Paths are resolved as the <see cref="SuperResolver(SuperResolverOptions)"/> constructor
/// resolves them (keep the two in step; <c>SuperResolveWeightsTests</c> compares them): the bundled model (config
/// <c>hfdiff-tiny</c>, or <c>auto</c> with no checkpoint or network option given and no official SinSR files in the model
/// directory) needs nothing from the model directory; otherwise each checkpoint left null is the model directory's
/// official file (SinSR or ResShift UNet by the network's code base, and the VQGAN f4), and each one given must exist.
/// Only presence is checked; the files are read (and checksums verified) when the resolver is built.
/// </summary>
internal static class SuperResolveWeights
{
    /// <exception cref="ModelAssetMissingException">One or more files are missing; the message names them all.</exception>
    /// <exception cref="InvalidOperationException">The bundled model is asked for and this build has none.</exception>
    public static void RequirePresent(SuperResolverOptions options)
    {
        var absent = new List<string>();
        if (options.UnetCheckpoint is { } unet && !File.Exists(unet)) absent.Add($"UnetCheckpoint '{unet}'");
        if (options.AutoencoderCheckpoint is { } vq && !File.Exists(vq)) absent.Add($"AutoencoderCheckpoint '{vq}'");

        ModelAssetMissingException? fromDirectory = null;
        if (UsesBundledModel(options))
        {
            _ = BundledModel.Config;   // throws, as the resolver would, when this build has no bundled model
        }
        else if (options.UnetCheckpoint is null || options.AutoencoderCheckpoint is null)
        {
            var dir = ModelDirectory.Resolve(options.ModelDirectory);
            var needed = new List<ModelAsset>();
            if (options.UnetCheckpoint is null && CodeBaseOf(options) is { } codeBase)
                needed.Add(codeBase == UNetCodeBase.SinSR ? KnownAssets.SinSrV1 : KnownAssets.ResShiftUnet);
            if (options.AutoencoderCheckpoint is null) needed.Add(KnownAssets.VqF4);
            var missing = needed.Where(a => dir.Find(a) is null).Select(a => new[] { a }).ToList();
            if (missing.Count > 0) fromDirectory = dir.Missing(missing);
        }

        if (absent.Count == 0)
        {
            if (fromDirectory is not null) throw fromDirectory;
            return;
        }
        var message = $"SuperResolve: {(absent.Count == 1 ? "a weight file does" : $"{absent.Count} weight files do")} not exist: {string.Join(", ", absent)}."
                      + (fromDirectory is null ? "" : "\n" + fromDirectory.Message);
        throw new ModelAssetMissingException(message);
    }

    /// <summary>As <c>SuperResolver.UsesBundledModel</c> (with weights loaded).</summary>
    static bool UsesBundledModel(SuperResolverOptions options)
    {
        if (string.Equals(options.Config, SrConfigPresets.BundledName, StringComparison.OrdinalIgnoreCase)) return true;
        if (!string.Equals(options.Config, SuperResolverOptions.AutoConfig, StringComparison.OrdinalIgnoreCase)) return false;
        if (options.UnetCheckpoint is not null || options.AutoencoderCheckpoint is not null || options.Unet is not null || options.Autoencoder is not null)
            return false;
        var dir = ModelDirectory.Resolve(options.ModelDirectory);
        bool official = File.Exists(dir.PathOf(KnownAssets.SinSrV1.FileName)) && File.Exists(dir.PathOf(KnownAssets.VqF4.FileName));
        return !official && BundledModel.IsAvailable;
    }

    /// <summary>
    /// The UNet's code base (which official file it loads): the explicit network options, else the config's
    /// <c>model.params</c> (<c>auto</c> is SinSR). Null when the config cannot be read: the resolver reports that itself.
    /// </summary>
    static UNetCodeBase? CodeBaseOf(SuperResolverOptions options)
    {
        if (options.Unet is { } unet) return unet.CodeBase;
        var name = string.Equals(options.Config, SuperResolverOptions.AutoConfig, StringComparison.OrdinalIgnoreCase) ? SrConfigPresets.SinSrName : options.Config;
        try
        {
            SrConfig config;
            if (SrConfigPresets.Names.Contains(name?.ToLowerInvariant())) config = SrConfigPresets.Get(name!);
            else if (!string.IsNullOrWhiteSpace(name) && File.Exists(name)) config = SrConfigReader.Load(name);
            else return null;
            return UNetModelSwinOptions.FromDictionary(config.Model.Params).CodeBase;
        }
        catch (Exception e) when (e is ArgumentException or SrConfigException or InvalidCastException or FormatException)
        {
            return null;
        }
    }
}
