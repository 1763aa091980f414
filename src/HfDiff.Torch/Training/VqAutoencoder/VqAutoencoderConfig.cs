using System.Text.Json;
using HfDiff.Torch.Archs.ResShift;
using HfDiff.Torch.Archs.Taming;
using HfDiff.Torch.Training.Core;
using YamlDotNet.RepresentationModel;
using HfDiff.Torch.Configs;

namespace HfDiff.Torch.Training.VqAutoencoder;

/// <summary>
/// Everything <c>hfdiff train autoencoder</c> needs: the network (<see cref="Model"/>), the loss (<see cref="Loss"/>) and
/// the run (rate, batch, crops, iterations, checkpoints, validation). Two presets, <see cref="Tiny"/> and
/// <see cref="Official"/>; a YAML file starts from <c>preset:</c> (default official) and overrides keys of its
/// <c>autoencoder:</c> (VQModelTorch kwargs, replacing the preset's network), <c>train:</c> and <c>loss:</c> sections.
/// </summary>
public sealed record VqAutoencoderConfig
{
    public string Preset { get; init; } = "official";
    public VQModelOptions Model { get; init; } = VQModelOptions.Official;
    public VqAutoencoderTrainerOptions Loss { get; init; } = new();
    /// <summary>Constant rate after a linear warm-up (taming: Adam at base_learning_rate × batch, betas (0.5, 0.9)).</summary>
    public double Lr { get; init; } = 4.5e-6 * 16;
    public long WarmupIterations { get; init; }
    public double Beta1 { get; init; } = 0.5;
    public double Beta2 { get; init; } = 0.9;
    public double WeightDecay { get; init; }
    public int Batch { get; init; } = 16;
    public int Microbatch { get; init; } = 4;
    /// <summary>Side of the square HR training crops (a multiple of the down factor).</summary>
    public int CropSize { get; init; } = 256;
    public long Iterations { get; init; } = 500_000;
    public double EmaRate { get; init; } = 0.999;
    public long SaveFreq { get; init; } = 5_000;
    public int KeepCheckpoints { get; init; } = 2;
    public long Seed { get; init; } = 12345;
    public double? MaxGradNorm { get; init; }
    public int MaxConsecutiveNonFinite { get; init; } = 5;
    public int LogEvery { get; init; } = 10;
    /// <summary>Validate every this many iterations (and after the last) when a GT folder is given.</summary>
    public long ValFreq { get; init; } = 5_000;
    /// <summary>LPIPS trunk for the perceptual term: <c>vgg</c> (taming), <c>alex</c>, or <c>none</c>; used when its weights are in the model directory.</summary>
    public string Perceptual { get; init; } = "vgg";

    /// <summary>
    /// The published VQGAN f4 sizes (<see cref="VQModelOptions.Official"/>: ch 128, ch_mult [1,2,4], n_embed 8192,
    /// embed_dim 3, ≈ 55 M parameters) with taming's VQGAN loss as latent-diffusion's vq-f4 config sets it as far as we
    /// know (disc_start 0, disc_weight 0.75; not checked against the file here), LPIPS-vgg. GPU-sized.
    /// </summary>
    public static VqAutoencoderConfig Official => new()
    {
        Preset = "official",
        Loss = new VqAutoencoderTrainerOptions { DiscStart = 0, DiscWeight = 0.75, CodebookWeight = 1.0 },
    };

    /// <summary>
    /// A CPU-trainable f4 (ch 32, ch_mult [1,2,2], one res block per level, n_embed 1024, embed_dim 3, a few MB of
    /// weights) on 128² crops, batch 4, lr 1e-4, LPIPS-alex when present, a small PatchGAN (ndf 32) from iteration 5000,
    /// dead-code restarts after 200 idle iterations.
    /// </summary>
    public static VqAutoencoderConfig Tiny => new()
    {
        Preset = "tiny",
        Model = new VQModelOptions
        {
            EmbedDim = 3, NEmbed = 1024,
            DdConfig = new DdConfig { Ch = 32, ChMult = [1, 2, 2], NumResBlocks = [1, 1, 1], ZChannels = 3, Resolution = 128 },
        },
        Loss = new VqAutoencoderTrainerOptions
        {
            DiscStart = 5_000, DiscWeight = 0.75, Discriminator = new NLayerDiscriminatorOptions { Ndf = 32, NumLayers = 3 },
            RestartDeadCodes = true, DeadCodeIterations = 200,
        },
        Lr = 1e-4, Batch = 4, Microbatch = 4, CropSize = 128, Iterations = 20_000, SaveFreq = 1_000, ValFreq = 1_000, Perceptual = "alex",
    };

    /// <summary>A preset by name (<c>tiny</c>, <c>official</c>), or null.</summary>
    public static VqAutoencoderConfig? FromPreset(string name) => name.ToLowerInvariant() switch
    {
        "tiny" => Tiny,
        "official" => Official,
        _ => null,
    };

    /// <summary>A preset name or a YAML file (see the type's summary). Bad values throw naming the file and key.</summary>
    public static VqAutoencoderConfig Load(string presetOrPath)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(presetOrPath);
        if (FromPreset(presetOrPath) is { } preset && !File.Exists(presetOrPath)) return preset;
        if (!File.Exists(presetOrPath)) throw new FileNotFoundException($"Config '{presetOrPath}' is neither 'tiny', 'official' nor an existing file.", presetOrPath);
        var stream = new YamlStream();
        using (var reader = new StreamReader(presetOrPath)) stream.Load(reader);
        if (stream.Documents.Count == 0 || stream.Documents[0].RootNode is not YamlMappingNode root)
            throw new InvalidDataException($"'{presetOrPath}' is not a YAML mapping.");
        var doc = (Dictionary<string, object?>)Convert(root)!;
        try { return FromDictionary(doc, presetOrPath); }
        catch (ArgumentException e) { throw new InvalidDataException($"'{presetOrPath}': {e.Message}", e); }
    }

    static VqAutoencoderConfig FromDictionary(Dictionary<string, object?> doc, string source)
    {
        var top = new OptionsBinder.Reader(doc, source);
        string presetName = top.Get<string>("preset", "official");
        var c = FromPreset(presetName) ?? throw new ArgumentException($"preset must be 'tiny' or 'official'; got '{presetName}'.");
        if (top.Has("autoencoder")) c = c with { Model = VQModelOptions.FromDictionary(top.Dictionary("autoencoder")) };
        if (top.Has("train"))
        {
            var t = new OptionsBinder.Reader(top.Dictionary("train"), "train");
            c = c with
            {
                Lr = t.Get<double>("lr", c.Lr), WarmupIterations = t.Get<int>("warmup_iterations", (int)c.WarmupIterations),
                Beta1 = t.Get<double>("beta1", c.Beta1), Beta2 = t.Get<double>("beta2", c.Beta2), WeightDecay = t.Get<double>("weight_decay", c.WeightDecay),
                Batch = t.Get<int>("batch", c.Batch), Microbatch = t.Get<int>("microbatch", c.Microbatch), CropSize = t.Get<int>("crop_size", c.CropSize),
                Iterations = t.Get<int>("iterations", (int)c.Iterations), EmaRate = t.Get<double>("ema_rate", c.EmaRate),
                SaveFreq = t.Get<int>("save_freq", (int)c.SaveFreq), KeepCheckpoints = t.Get<int>("keep_checkpoints", c.KeepCheckpoints),
                Seed = t.Get<int>("seed", (int)c.Seed), MaxGradNorm = t.Has("max_grad_norm") ? t.Get<double>("max_grad_norm", 0) : c.MaxGradNorm,
                MaxConsecutiveNonFinite = t.Get<int>("max_consecutive_nonfinite", c.MaxConsecutiveNonFinite), LogEvery = t.Get<int>("log_every", c.LogEvery),
                ValFreq = t.Get<int>("val_freq", (int)c.ValFreq),
            };
            t.ThrowOnUnused();
        }
        if (top.Has("loss"))
        {
            var l = new OptionsBinder.Reader(top.Dictionary("loss"), "loss");
            var o = c.Loss;
            bool disc = l.Get<bool>("discriminator", o.Discriminator is not null);
            var d = o.Discriminator ?? new NLayerDiscriminatorOptions();
            o = o with
            {
                CodebookWeight = l.Get<double>("codebook_weight", o.CodebookWeight), PerceptualWeight = l.Get<double>("perceptual_weight", o.PerceptualWeight),
                DiscStart = l.Get<int>("disc_start", (int)o.DiscStart), DiscWeight = l.Get<double>("disc_weight", o.DiscWeight),
                DiscFactor = l.Get<double>("disc_factor", o.DiscFactor),
                DiscLoss = l.Get<string>("disc_loss", o.DiscLoss == VqGanLoss.Hinge ? "hinge" : "vanilla") switch
                {
                    "hinge" => VqGanLoss.Hinge,
                    "vanilla" => VqGanLoss.Vanilla,
                    var s => throw new ArgumentException($"loss: 'disc_loss' must be 'hinge' or 'vanilla'; got '{s}'."),
                },
                Discriminator = disc ? d with { Ndf = l.Get<int>("disc_ndf", d.Ndf), NumLayers = l.Get<int>("disc_num_layers", d.NumLayers) } : null,
                DeadCodeIterations = l.Get<int>("dead_code_iterations", (int)o.DeadCodeIterations),
                RestartDeadCodes = l.Get<bool>("restart_dead_codes", o.RestartDeadCodes),
            };
            if (!disc) { l.Get<int>("disc_ndf", 0); l.Get<int>("disc_num_layers", 0); }
            c = c with { Loss = o, Perceptual = l.Get<string>("perceptual", c.Perceptual) };
            l.ThrowOnUnused();
        }
        top.ThrowOnUnused();
        c.Validate();
        return c;
    }

    /// <summary>Checks the values (throws <see cref="ArgumentOutOfRangeException"/> naming the key).</summary>
    public void Validate()
    {
        Model.Validate();
        Loss.Validate();
        int f = 1 << (Model.DdConfig.ChMult.Count - 1);
        if (CropSize < f || CropSize % f != 0) throw new ArgumentOutOfRangeException("crop_size", CropSize, $"crop_size must be a positive multiple of the down factor {f}; got {CropSize}.");
        if (Perceptual is not ("vgg" or "alex" or "none")) throw new ArgumentOutOfRangeException("perceptual", Perceptual, $"perceptual must be vgg, alex or none; got '{Perceptual}'.");
        if (ValFreq < 1) throw new ArgumentOutOfRangeException("val_freq", ValFreq, $"val_freq must be >= 1; got {ValFreq}.");
        if (LogEvery < 1) throw new ArgumentOutOfRangeException("log_every", LogEvery, $"log_every must be >= 1; got {LogEvery}.");
    }

    /// <summary>The loop settings: AdamW(lr, (beta1, beta2)) with warm-up then constant rate.</summary>
    public TrainingLoopOptions ToLoopOptions(string outputFolder, bool resume, string device) => new()
    {
        OutputFolder = outputFolder,
        LrSchedule = new ResShiftLrSchedule(Lr, WarmupIterations),
        Iterations = Iterations, Batch = Batch, Microbatch = Microbatch, EmaRate = EmaRate, WeightDecay = WeightDecay,
        Beta1 = Beta1, Beta2 = Beta2, MaxGradNorm = MaxGradNorm, MaxConsecutiveNonFinite = MaxConsecutiveNonFinite,
        SaveFreq = SaveFreq, KeepCheckpoints = KeepCheckpoints, Seed = Seed, Resume = resume, Device = device,
    };

    /// <summary>Stable text of the settings (for logs).</summary>
    public override string ToString() => JsonSerializer.Serialize(this);

    static object? Convert(YamlNode node) => node switch
    {
        YamlScalarNode s => s.Value is null or "" or "~" or "null" or "None" ? null : s.Value,
        YamlSequenceNode seq => seq.Children.Select(Convert).ToList(),
        YamlMappingNode map => map.Children.ToDictionary(kv => ((YamlScalarNode)kv.Key).Value!, kv => Convert(kv.Value), StringComparer.Ordinal),
        _ => throw new InvalidDataException($"Unsupported YAML node {node.NodeType}."),
    };
}
