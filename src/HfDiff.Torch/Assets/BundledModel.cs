using System.Reflection;
using System.Security.Cryptography;
using HfDiff.Torch.Configs;

namespace HfDiff.Torch.Assets;

/// <summary>
/// The model that ships inside this assembly, <c>hfdiff-tiny</c>: a one-step SinSR-style student with a reduced VQGAN f4
/// autoencoder, trained from scratch on a CPU by <c>hfdiff train autoencoder|teacher|student</c> on public-domain/CC0
/// images (data/default-model/MODEL_CARD.md: sources, settings, wall time, measured quality). It is what
/// <see cref="Pipelines.SuperResolver"/> runs when the config is <c>auto</c>, no checkpoint is given and the model
/// directory holds no official SinSR file, so a fresh install super-resolves offline. Its weights are embedded resources
/// in the official state-dict layout; they are copied once to a per-user cache (file names carry their SHA-256, so a
/// stale or damaged copy is never read) because the checkpoint readers take paths.
/// </summary>
public static class BundledModel
{
    public const string Name = "hfdiff-tiny";

    /// <summary>LR tile side used when the caller sets none: the VQGAN's global mid-block attention is quadratic in the tile area.</summary>
    public const int DefaultTileSize = 64;
    public const int DefaultTileStride = 56;

    const string ResourcePrefix = "HfDiff.Torch.Bundled.";
    const string ConfigResource = ResourcePrefix + Name + ".yaml";
    const string UnetResource = ResourcePrefix + Name + "_unet.pth";
    const string AutoencoderResource = ResourcePrefix + Name + "_autoencoder.pth";

    /// <summary>The one line a user sees when this model is used.</summary>
    public const string Notice =
        "bundled hfdiff-tiny model (small, CPU-trained; see data/default-model/MODEL_CARD.md); the official SinSR weights " +
        "(hfdiff models fetch sinsr) or weights you train with hfdiff train give better results";

    static readonly Assembly Assembly = typeof(BundledModel).Assembly;
    static readonly Lock Gate = new();
    static SrConfig? _config;

    /// <summary>False in builds made without the weight files (a source checkout before they were trained).</summary>
    public static bool IsAvailable
    {
        get
        {
            var names = Assembly.GetManifestResourceNames();
            return names.Contains(UnetResource) && names.Contains(AutoencoderResource);
        }
    }

    /// <summary>Its config (model, autoencoder and diffusion sections; no checkpoint paths); always embedded, so the architecture can be built with random weights.</summary>
    public static SrConfig Config
    {
        get
        {
            lock (Gate)
            {
                if (_config is not null) return _config;
                using var reader = new StreamReader(Open(ConfigResource));
                return _config = SrConfigReader.Parse(reader.ReadToEnd(), $"bundled:{Name}");
            }
        }
    }

    /// <summary>The UNet weights as a file (official state-dict layout).</summary>
    public static string UnetPath => Extract(UnetResource, $"{Name}_unet");

    /// <summary>The autoencoder weights as a file (official <c>autoencoder_vq_f4.pth</c> layout).</summary>
    public static string AutoencoderPath => Extract(AutoencoderResource, $"{Name}_autoencoder");

    /// <summary>Where the weights are copied: <c>$HFDIFF_CACHE</c>, else the user's cache folder.</summary>
    public static string CacheFolder
    {
        get
        {
            var env = Environment.GetEnvironmentVariable("HFDIFF_CACHE");
            if (!string.IsNullOrWhiteSpace(env)) return Path.GetFullPath(env);
            var xdg = Environment.GetEnvironmentVariable("XDG_CACHE_HOME");
            var root = !string.IsNullOrWhiteSpace(xdg) ? xdg
                : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache");
            return Path.Combine(root, "hfdiff", "bundled");
        }
    }

    static void RequireAvailable()
    {
        if (!IsAvailable)
            throw new ModelAssetMissingException(
                $"This build of HfDiff.Torch has no bundled {Name} weights (data/default-model/{Name}_unet.pth and {Name}_autoencoder.pth were absent when it was built); train them with data/default-model/train.sh or use the official weights (hfdiff models fetch sinsr).");
    }

    static Stream Open(string resource) =>
        Assembly.GetManifestResourceStream(resource) ?? throw new InvalidOperationException($"Resource '{resource}' is missing from {Assembly.GetName().Name}.");

    static string Extract(string resource, string stem)
    {
        lock (Gate)
        {
            RequireAvailable();
            byte[] bytes;
            using (var stream = Open(resource))
            using (var memory = new MemoryStream())
            {
                stream.CopyTo(memory);
                bytes = memory.ToArray();
            }
            var hash = Convert.ToHexStringLower(SHA256.HashData(bytes))[..16];
            var folder = CacheFolder;
            var path = Path.Combine(folder, $"{stem}-{hash}.pth");
            if (File.Exists(path) && new FileInfo(path).Length == bytes.Length
                && Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(path)))[..16] == hash)
                return path;
            Directory.CreateDirectory(folder);
            // Temp file beside the target, then renamed: a concurrent or killed writer never leaves a partial file.
            Imaging.AtomicFile.WriteAllBytes(path, bytes);
            return path;
        }
    }
}
