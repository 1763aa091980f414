// The ResShift / SinSR ×4 inference entry point: config + checkpoints → modules → LatentSrPipeline.
// Mirrors zsyOAOA/ResShift @ 3ce1d81e8402fd50083809ae288a3977f6921bdd sampler.py (ResShiftSampler: build_model,
// inference) and wyf0912/SinSR @ f1735490e980162435391162ddd18c0642327c5b sampler.py (Sampler, one_step=True).
// Papers: ResShift (NeurIPS 2023), SinSR (CVPR 2024).
using System.Diagnostics;
using HfDiff.Torch.Archs.ResShift;
using HfDiff.Torch.Assets;
using HfDiff.Torch.Configs;
using HfDiff.Torch.Samplers;
using HfDiff.Torch.Schedules;
using HfDiff.Torch.Weights;
using TorchSharp;
using static TorchSharp.torch;

namespace HfDiff.Torch.Pipelines;

/// <summary>
/// ×sf latent-diffusion super-resolution with the official ResShift / SinSR networks: LR (1, 3, h, w) in [0, 1] →
/// SR (1, 3, sf·h, sf·w) in [0, 1]. Steps = 1 runs the one-step (SinSR student) path, steps = T the ResShift stochastic
/// chain. Every call restarts the noise from <see cref="SuperResolverOptions.Seed"/>, so equal inputs give equal outputs.
/// Not thread-safe (one call at a time; <see cref="LastTimings"/> describes the last one).
/// </summary>
public sealed class SuperResolver : IDisposable
{
    readonly UNetModelSwin _unet;
    readonly VQModelTorch _vq;
    readonly bool _ownsModules;
    readonly UNetLatentDenoiser _denoiser;
    readonly VQLatentAutoencoder _autoencoder;
    readonly Dictionary<int, ILatentSrSampler> _samplers = [];
    bool _disposed;

    /// <summary>
    /// Builds the networks from <see cref="SuperResolverOptions.Config"/> (or the explicit UNet/VQ options) and loads the
    /// checkpoints strictly (plain state dicts, <c>{'state_dict': …}</c> and <c>module.</c> prefixes are accepted).
    /// </summary>
    /// <exception cref="ModelAssetMissingException">A checkpoint left null is not in the model directory.</exception>
    /// <exception cref="ArgumentException">Unknown config, invalid steps/tiles/device.</exception>
    public SuperResolver(SuperResolverOptions options) : this(options, loadWeights: true) { }

    SuperResolver(SuperResolverOptions options, bool loadWeights)
    {
        ArgumentNullException.ThrowIfNull(options);
        HeapReuse.TryEnable();   // 1.7× on CPU: see HeapReuse
        bool bundled = UsesBundledModel(options, loadWeights);
        var config = bundled ? BundledModel.Config : ResolveConfig(AutoToSinSr(options.Config));
        if (!bundled) options = WithYamlAutoencoder(options, config);
        UNetModelSwinOptions unetOptions;
        VQModelOptions vqOptions;
        try
        {
            unetOptions = options.Unet ?? UNetOptionsFrom(config);
            unetOptions.Validate();
        }
        catch (ArgumentException e) when (options.Unet is null && !bundled && !IsPreset(AutoToSinSr(options.Config)))
        {
            // Settings read from a YAML file: name the file and the section, not an API parameter.
            throw ConfigError(config, "model", e);
        }
        try
        {
            vqOptions = options.Autoencoder ?? VqOptionsFrom(config);
            vqOptions.Validate();
        }
        catch (ArgumentException e) when (options.Autoencoder is null && !bundled && !IsPreset(AutoToSinSr(options.Config)))
        {
            throw ConfigError(config, "autoencoder", e);
        }
        // Everything cheap is validated before the (large) checkpoints are read.
        var plan = Plan(unetOptions, config.Diffusion, options, bundled);
        string? unetPath = null, vqPath = null;
        if (loadWeights && bundled)
        {
            unetPath = options.UnetCheckpoint ?? BundledModel.UnetPath;
            vqPath = options.AutoencoderCheckpoint ?? BundledModel.AutoencoderPath;
        }
        else if (loadWeights)
        {
            var dir = Assets.ModelDirectory.Resolve(options.ModelDirectory);
            // Both checkpoints that are not given explicitly must be in the model directory; all missing ones are named at once.
            var needed = DirectoryAssets(options, unetOptions.CodeBase);
            dir.RequireAll(needed.ToArray());
            unetPath = options.UnetCheckpoint ?? dir.PathOf(UnetAsset(unetOptions.CodeBase).FileName);
            vqPath = options.AutoencoderCheckpoint ?? dir.PathOf(KnownAssets.VqF4.FileName);
        }

        UNetModelSwin? unet = null;
        VQModelTorch? vq = null;
        try
        {
            unet = new UNetModelSwin(unetOptions);
            if (unetPath is not null) Checkpoint.LoadInto(unet, unetPath, strict: true);
            vq = new VQModelTorch(vqOptions);
            if (vqPath is not null) Checkpoint.LoadInto(vq, vqPath, strict: true);
        }
        catch
        {
            unet?.Dispose();
            vq?.Dispose();
            throw;
        }
        Config = config;
        ModelName = bundled ? BundledModel.Name : config.Source;
        ModelNotice = bundled && options.UnetCheckpoint is null ? BundledModel.Notice : null;
        UnetCheckpointPath = unetPath;
        AutoencoderCheckpointPath = vqPath;
        (_unet, _vq, _ownsModules) = (unet, vq, true);
        (Options, Schedule, Steps, PipelineOptions, Device) = plan;
        (Precision, PrecisionReason) = ResolvePrecision(Options.Precision, Device);
        Prepare(_unet, _vq, Device, Options.ChannelsLastAutoencoder, Precision);
        _denoiser = new UNetLatentDenoiser(_unet);
        _autoencoder = new VQLatentAutoencoder(_vq, Options.ChannelsLastAutoencoder, InferencePrecisions.ScalarType(Precision));
    }

    /// <summary>
    /// Wraps already-built networks (tests, benchmarks with random weights). They are switched to eval mode, moved to
    /// <see cref="SuperResolverOptions.Device"/> (and the VQGAN's weights re-laid channels-last, values unchanged, when
    /// <see cref="SuperResolverOptions.ChannelsLastAutoencoder"/>), and are not disposed by this object. <see cref="SuperResolverOptions.Config"/>,
    /// the checkpoint paths and the explicit network options are ignored.
    /// </summary>
    /// <param name="diffusion">The schedule (<c>diffusion.params</c>); null → the official ResShift/SinSR values.</param>
    public SuperResolver(UNetModelSwin unet, VQModelTorch autoencoder, ResShiftScheduleOptions? diffusion = null, SuperResolverOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(unet);
        ArgumentNullException.ThrowIfNull(autoencoder);
        HeapReuse.TryEnable();
        var plan = Plan(unet.Options, diffusion ?? new ResShiftScheduleOptions(), options ?? new SuperResolverOptions(), bundled: false);
        ModelName = "modules";
        (_unet, _vq, _ownsModules) = (unet, autoencoder, false);
        (Options, Schedule, Steps, PipelineOptions, Device) = plan;
        (Precision, PrecisionReason) = ResolvePrecision(Options.Precision, Device);
        Prepare(_unet, _vq, Device, Options.ChannelsLastAutoencoder, Precision);
        _denoiser = new UNetLatentDenoiser(_unet);
        _autoencoder = new VQLatentAutoencoder(_vq, Options.ChannelsLastAutoencoder, InferencePrecisions.ScalarType(Precision));
    }

    /// <summary>
    /// The networks of the config with PyTorch-default random weights and no checkpoint read (benchmarks, smoke tests).
    /// The output is meaningless as an image.
    /// </summary>
    public static SuperResolver WithRandomWeights(SuperResolverOptions options) => new(options, loadWeights: false);

    public SuperResolverOptions Options { get; }

    /// <summary>The arithmetic in use (<see cref="InferencePrecision.Auto"/> resolved) and why it was chosen.</summary>
    public InferencePrecision Precision { get; }
    public string PrecisionReason { get; } = "";

    /// <summary>Parameters of the denoiser and the autoencoder together (the "# Params" column of the papers' speed tables).</summary>
    public long ParameterCount => _unet.parameters().Sum(p => p.numel()) + _vq.parameters().Sum(p => p.numel());
    /// <summary>
    /// Which model runs: <see cref="BundledModel.Name"/>, the config's source (<c>preset:sinsr</c>, a YAML path), or
    /// <c>modules</c> for networks passed in.
    /// </summary>
    public string ModelName { get; } = "";
    /// <summary>One line for the user when the bundled model runs with its own weights (better weights exist); else null.</summary>
    public string? ModelNotice { get; }
    /// <summary>The config the networks were built from; null when built from modules.</summary>
    public SrConfig? Config { get; }
    /// <summary>The UNet weights file read; null for modules given directly or random weights.</summary>
    public string? UnetCheckpointPath { get; }
    /// <summary>The VQGAN weights file read; null for modules given directly or random weights.</summary>
    public string? AutoencoderCheckpointPath { get; }
    public ResShiftSchedule Schedule { get; }
    /// <summary>Default sampling steps (1 or T), see <see cref="SuperResolverOptions.Steps"/>.</summary>
    public int Steps { get; }
    /// <summary>The step counts accepted: 1 and T.</summary>
    public IReadOnlyList<int> AllowedSteps => Schedule.NumTimesteps == 1 ? [1] : [1, Schedule.NumTimesteps];
    public LatentSrPipelineOptions PipelineOptions { get; }
    public Device Device { get; }
    public int Sf => Schedule.Options.Sf;
    public UNetModelSwin Unet => _unet;
    public VQModelTorch Autoencoder => _vq;
    /// <summary>The UNet as the samplers call it.</summary>
    public LatentDenoiser Denoiser => _denoiser.AsDelegate();
    /// <summary>The VQGAN as the pipeline calls it (Decode quantizes).</summary>
    public ILatentAutoencoder LatentAutoencoder => _autoencoder;
    /// <summary>Stage times of the last <see cref="SuperResolve(Tensor)"/> call.</summary>
    public SuperResolverTimings LastTimings { get; private set; } = SuperResolverTimings.None;

    /// <summary>The sampler used for <paramref name="steps"/> (1 → <see cref="SinSrOneStepSampler"/>, T → <see cref="ResShiftSampler"/>).</summary>
    public ILatentSrSampler SamplerFor(int steps)
    {
        CheckSteps(steps, Schedule.NumTimesteps, nameof(steps));
        if (!_samplers.TryGetValue(steps, out var s))
        {
            s = steps == 1 ? new SinSrOneStepSampler(Schedule) : new ResShiftSampler(Schedule);
            _samplers[steps] = s;
        }
        return s;
    }

    /// <summary>
    /// Super-resolves one RGB image: (1, 3, h, w) float32 in [0, 1] → (1, 3, sf·h, sf·w) float32 in [0, 1] on the input's
    /// device, with noise seeded by <see cref="SuperResolverOptions.Seed"/>.
    /// </summary>
    /// <exception cref="ArgumentException">The input is not (1, 3, h, w) float32 with values in [0, 1].</exception>
    public Tensor SuperResolve(Tensor lr01) => SuperResolve(lr01, Options.Seed);

    /// <summary><see cref="SuperResolve(Tensor)"/> with another seed and optionally another step count (1 or T).</summary>
    public Tensor SuperResolve(Tensor lr01, long seed, int? steps = null)
    {
        CheckInput(lr01, nameof(lr01));
        using var noise = new GeneratorNoiseSource(seed);
        return Run(lr01, noise, steps ?? Steps);
    }

    /// <summary><see cref="SuperResolve(Tensor)"/> drawing every noise tensor from <paramref name="noise"/> (e.g. replayed reference noise).</summary>
    public Tensor SuperResolve(Tensor lr01, INoiseSource noise, int? steps = null)
    {
        CheckInput(lr01, nameof(lr01));
        ArgumentNullException.ThrowIfNull(noise);
        return Run(lr01, noise, steps ?? Steps);
    }

    /// <summary>
    /// Super-resolves B same-size images, (B, 3, h, w) float32 in [0, 1], each exactly as <see cref="SuperResolve(Tensor)"/>
    /// would alone (the noise restarts from <see cref="SuperResolverOptions.Seed"/> for every image), in one network call
    /// when they fit in one tile; larger images go one by one with their tiles batched (<see cref="SuperResolverOptions.BatchSize"/>).
    /// </summary>
    public Tensor SuperResolveBatch(Tensor lr01)
    {
        ArgumentNullException.ThrowIfNull(lr01);
        if (lr01.dim() != 4 || lr01.shape[0] < 1)
            throw new ArgumentException($"lr01 must be a (B, 3, h, w) batch of RGB images; got shape [{string.Join(", ", lr01.shape)}].", nameof(lr01));
        using var scope = NewDisposeScope();
        int b = (int)lr01.shape[0];
        for (int i = 0; i < b; i++) CheckInput(lr01[i..(i + 1)], $"lr01[{i}]");
        bool tiled = lr01.shape[2] > PipelineOptions.TileSize || lr01.shape[3] > PipelineOptions.TileSize;
        if (b == 1 || tiled)
        {
            var outs = new Tensor[b];
            for (int i = 0; i < b; i++) outs[i] = SuperResolve(lr01[i..(i + 1)], Options.Seed, Steps);
            return (b == 1 ? outs[0] : cat(outs, 0)).MoveToOuterDisposeScope();
        }
        using var noise = new GeneratorNoiseSource(Options.Seed);
        return Run(lr01, new SharedStreamNoiseSource(noise), Steps).MoveToOuterDisposeScope();
    }

    Tensor Run(Tensor lr01, INoiseSource noise, int steps)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        var sampler = SamplerFor(steps);
        var timer = new StageTimer(Device);
        using var pipeline = new LatentSrPipeline(sampler, timer.Wrap(_denoiser.AsDelegate()), timer.Wrap(_autoencoder), PipelineOptions, noise);
        var total = Stopwatch.StartNew();
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        var x = lr01.device == Device ? lr01 : lr01.to(Device);
        var y = pipeline.SuperResolve(x).contiguous();
        if (y.device != lr01.device) y = y.to(lr01.device);
        timer.Synchronize();
        total.Stop();
        LastTimings = new SuperResolverTimings(timer.EncodeMs, timer.DenoiserMs, timer.DecodeMs, total.Elapsed.TotalMilliseconds, timer.DenoiserCalls);
        return y.MoveToOuterDisposeScope();
    }

    // ------------------------------------------------------------------------------------------- checks and planning

    /// <summary>Throws <see cref="ArgumentException"/> unless <paramref name="lr01"/> is (1, 3, h, w) float32 with values in [0, 1].</summary>
    public static void CheckInput(Tensor lr01, string name = "lr01")
    {
        ArgumentNullException.ThrowIfNull(lr01, name);
        if (lr01.dim() != 4 || lr01.shape[0] != 1 || lr01.shape[1] != 3 || lr01.shape[2] < 1 || lr01.shape[3] < 1)
            throw new ArgumentException($"{name} must be a (1, 3, h, w) RGB image tensor; got shape [{string.Join(", ", lr01.shape)}].", name);
        if (lr01.dtype != ScalarType.Float32)
            throw new ArgumentException($"{name} must be float32 in [0, 1]; got {lr01.dtype}.", name);
        using var scope = NewDisposeScope();
        var mm = stack([lr01.min(), lr01.max()]).cpu();
        float lo = mm[0].item<float>(), hi = mm[1].item<float>();
        if (!(lo >= 0f && hi <= 1f))   // also rejects NaN
            throw new ArgumentException($"{name} must have values in [0, 1] (an image divided by 255); got min {lo}, max {hi}.", name);
    }

    static void CheckSteps(int steps, int t, string name)
    {
        if (steps != 1 && steps != t)
            throw new ArgumentOutOfRangeException(name, steps,
                $"Steps must be 1 (one-step SinSR student path) or {t} (the ResShift chain over the config's diffusion.steps = {t}); got {steps}.");
    }

    /// <summary>
    /// The model-directory files a resolver built from <paramref name="options"/> will read (empty for the bundled model;
    /// checkpoints given explicitly are not listed), found without reading any weights: ML.NET's SR transform checks them
    /// at <c>Fit</c>. Throws as the constructor does for an unknown config.
    /// </summary>
    public static IReadOnlyList<ModelAsset> RequiredModelDirectoryAssets(SuperResolverOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (UsesBundledModel(options, loadWeights: true))
        {
            _ = BundledModel.UnetPath;   // a build without the bundled weights throws here, as the constructor would
            return [];
        }
        var config = ResolveConfig(AutoToSinSr(options.Config));
        var codeBase = (options.Unet ?? UNetOptionsFrom(config)).CodeBase;
        return DirectoryAssets(WithYamlAutoencoder(options, config), codeBase);
    }

    /// <summary>
    /// A YAML config's <c>autoencoder.ckpt_path</c>, when it names an existing file (as given or relative to the YAML's
    /// folder), is the autoencoder unless one is given explicitly: the first stage is frozen in every ResShift/SinSR/HF-Diff
    /// config, so the file its YAML names is the one its UNet was trained with. A missing file falls back to the model directory.
    /// </summary>
    static SuperResolverOptions WithYamlAutoencoder(SuperResolverOptions options, SrConfig config)
    {
        if (options.AutoencoderCheckpoint is not null || options.Autoencoder is not null || !File.Exists(options.Config)) return options;
        var path = config.Autoencoder?.CkptPath;
        if (string.IsNullOrWhiteSpace(path)) return options;
        var found = ConfigPaths.Candidates(path, options.Config).FirstOrDefault(File.Exists);
        return found is null ? options : options with { AutoencoderCheckpoint = found };
    }

    static ModelAsset UnetAsset(UNetCodeBase codeBase) => codeBase == UNetCodeBase.SinSR ? KnownAssets.SinSrV1 : KnownAssets.ResShiftUnet;

    static List<ModelAsset> DirectoryAssets(SuperResolverOptions options, UNetCodeBase codeBase)
    {
        var needed = new List<ModelAsset>();
        if (options.UnetCheckpoint is null) needed.Add(UnetAsset(codeBase));
        if (options.AutoencoderCheckpoint is null) needed.Add(KnownAssets.VqF4);
        return needed;
    }

    /// <summary>
    /// <c>auto</c> picks the bundled model when weights are to be loaded, no checkpoint or network option is given, the
    /// model directory lacks the official SinSR pair and this build carries the bundled files; <c>hfdiff-tiny</c> always.
    /// Random-weight builds of <c>auto</c> (benchmarks) use the official SinSR networks.
    /// </summary>
    static bool UsesBundledModel(SuperResolverOptions options, bool loadWeights)
    {
        if (string.Equals(options.Config, SrConfigPresets.BundledName, StringComparison.OrdinalIgnoreCase)) return true;
        if (!string.Equals(options.Config, SuperResolverOptions.AutoConfig, StringComparison.OrdinalIgnoreCase) || !loadWeights) return false;
        if (options.UnetCheckpoint is not null || options.AutoencoderCheckpoint is not null || options.Unet is not null || options.Autoencoder is not null)
            return false;
        var dir = Assets.ModelDirectory.Resolve(options.ModelDirectory);
        bool official = File.Exists(dir.PathOf(KnownAssets.SinSrV1.FileName)) && File.Exists(dir.PathOf(KnownAssets.VqF4.FileName));
        return !official && BundledModel.IsAvailable;
    }

    static string AutoToSinSr(string config) =>
        string.Equals(config, SuperResolverOptions.AutoConfig, StringComparison.OrdinalIgnoreCase) ? SrConfigPresets.SinSrName : config;

    static (SuperResolverOptions, ResShiftSchedule, int, LatentSrPipelineOptions, Device) Plan(
        UNetModelSwinOptions unet, ResShiftScheduleOptions diffusion, SuperResolverOptions options, bool bundled)
    {
        var schedule = new ResShiftSchedule(diffusion);
        int t = schedule.NumTimesteps;
        int steps = options.Steps ?? (unet.CodeBase == UNetCodeBase.SinSR ? 1 : t);
        CheckSteps(steps, t, nameof(SuperResolverOptions.Steps));
        int padding = options.PaddingMultiple ?? (unet.CodeBase == UNetCodeBase.ResShift ? unet.LqSize : SuperResolverOptions.SinSrPaddingMultiple);
        if (padding < 1)
            throw new ArgumentOutOfRangeException(nameof(SuperResolverOptions.PaddingMultiple), padding, $"PaddingMultiple must be >= 1; got {padding}.");
        var (tileSize, tileStride) = Tiles(options, bundled);
        if (tileSize < padding)
            throw new ArgumentOutOfRangeException(nameof(SuperResolverOptions.TileSize), tileSize,
                $"TileSize must be >= {padding}, the network's input multiple (every tile is padded up to a multiple of it); got {tileSize}.");
        if (tileStride < 1 || tileStride > tileSize)
            throw new ArgumentOutOfRangeException(nameof(SuperResolverOptions.TileStride), tileStride,
                $"TileStride must be in [1, TileSize = {tileSize}]; got {tileStride}.");
        var pipelineOptions = new LatentSrPipelineOptions
        {
            PaddingMultiple = padding,
            SmallSidePadding = options.SmallSidePadding,
            TileSize = tileSize,
            TileStride = tileStride,
            TileBlending = options.TileBlending,
            TileBatchSize = options.BatchSize >= 1 ? options.BatchSize
                : throw new ArgumentOutOfRangeException(nameof(SuperResolverOptions.BatchSize), options.BatchSize, $"BatchSize must be >= 1; got {options.BatchSize}."),
        };
        return (options, schedule, steps, pipelineOptions, TorchDevices.Parse(options.Device ?? "cpu", nameof(SuperResolverOptions.Device)));
    }

    /// <summary>
    /// The tile size and stride in use: the model's defaults when neither is set; a given size without a stride keeps the
    /// official overlap ratio (448/512 = 7/8), at least 1 and, for sizes ≥ 2, less than the size.
    /// </summary>
    public static (int Size, int Stride) Tiles(SuperResolverOptions options, bool bundled)
    {
        if (options.TileSize is not int size)
        {
            size = bundled ? BundledModel.DefaultTileSize : SuperResolverOptions.OfficialTileSize;
            return (size, options.TileStride ?? (bundled ? BundledModel.DefaultTileStride : SuperResolverOptions.OfficialTileStride));
        }
        if (options.TileStride is int stride) return (size, stride);
        if (size < 2) return (size, Math.Max(1, size));
        return (size, Math.Clamp((int)((long)size * SuperResolverOptions.OfficialTileStride / SuperResolverOptions.OfficialTileSize), 1, size - 1));
    }

    /// <summary>An option error from a YAML file's section, as one line naming the file and the section.</summary>
    static SrConfigException ConfigError(SrConfig config, string section, ArgumentException e)
    {
        var message = e.Message.Split('\n')[0].TrimEnd('\r');
        int parameter = message.IndexOf(" (Parameter '", StringComparison.Ordinal);
        if (parameter >= 0) message = message[..parameter];
        if (message.StartsWith(config.Source + ":", StringComparison.Ordinal)) message = message[(config.Source.Length + 1)..].TrimStart();
        else message = $"{section}.params: {message}";
        return new SrConfigException(config.Source, null, message, e);
    }

    static bool IsPreset(string config) => SrConfigPresets.Names.Contains(config.ToLowerInvariant());

    static SrConfig ResolveConfig(string config)
    {
        if (string.IsNullOrWhiteSpace(config))
            throw new ArgumentException($"Config must be one of {string.Join(", ", SrConfigPresets.Names)} or a YAML file path; got an empty string.", nameof(SuperResolverOptions.Config));
        if (SrConfigPresets.Names.Contains(config.ToLowerInvariant())) return SrConfigPresets.Get(config);
        if (!File.Exists(config))
            throw new ArgumentException(
                $"Config '{config}' is neither a built-in config ({string.Join(", ", SrConfigPresets.Names)}) nor an existing YAML file.",
                nameof(SuperResolverOptions.Config));
        return SrConfigReader.Load(config);
    }

    static UNetModelSwinOptions UNetOptionsFrom(SrConfig config)
    {
        if (!config.Model.Target.EndsWith("UNetModelSwin", StringComparison.Ordinal))
            throw new ArgumentException($"{config.Source}: model.target '{config.Model.Target}' is not supported; expected models.unet.UNetModelSwin.",
                nameof(SuperResolverOptions.Config));
        return UNetModelSwinOptions.FromDictionary(config.Model.Params);
    }

    static VQModelOptions VqOptionsFrom(SrConfig config)
    {
        var ae = config.Autoencoder ?? throw new ArgumentException(
            $"{config.Source} has no autoencoder section; latent SR needs the VQGAN (ldm.models.autoencoder.VQModelTorch).", nameof(SuperResolverOptions.Config));
        if (!ae.Target.EndsWith("VQModelTorch", StringComparison.Ordinal))
            throw new ArgumentException($"{config.Source}: autoencoder.target '{ae.Target}' is not supported; expected ldm.models.autoencoder.VQModelTorch.",
                nameof(SuperResolverOptions.Config));
        // The YAML's use_fp16 (half-precision autoencoder on CUDA) is not applied: this port runs float32 throughout.
        return VQModelOptions.FromDictionary(ae.Params);
    }

    static (InferencePrecision, string) ResolvePrecision(InferencePrecision requested, Device device)
    {
        var (p, why) = InferencePrecisions.Resolve(requested, device);
        if (p == InferencePrecision.Fp16 && device.type == DeviceType.CPU)
            throw new ArgumentException("Precision fp16 runs on CUDA only: most libtorch CPU kernels have no float16 version. Use bf16 or auto on the CPU.",
                nameof(SuperResolverOptions.Precision));
        return (p, why);
    }

    static void Prepare(UNetModelSwin unet, VQModelTorch vq, Device device, bool channelsLastVq, InferencePrecision precision)
    {
        unet.eval();
        vq.eval();
        if (device.type != DeviceType.CPU)
        {
            unet.to(device);
            vq.to(device);
        }
        if (precision != InferencePrecision.Fp32)
        {
            var type = InferencePrecisions.ScalarType(precision);
            unet.to(type);
            vq.ToComputeType(type);
        }
        if (channelsLastVq) ChannelsLast.ConvertParameters(vq);
    }

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        if (_ownsModules)
        {
            _unet.Dispose();
            _vq.Dispose();
        }
    }

    /// <summary>Accumulates wall-clock time of the encoder, decoder and denoiser calls (synchronising CUDA first).</summary>
    sealed class StageTimer(Device device)
    {
        public double EncodeMs, DecodeMs, DenoiserMs;
        public int DenoiserCalls;

        public void Synchronize()
        {
            if (device.type == DeviceType.CUDA) cuda.synchronize(device);
        }

        public LatentDenoiser Wrap(LatentDenoiser inner) => (x, t, lq) =>
        {
            var sw = Stopwatch.StartNew();
            var y = inner(x, t, lq);
            Synchronize();
            DenoiserMs += sw.Elapsed.TotalMilliseconds;
            DenoiserCalls++;
            return y;
        };

        public ILatentAutoencoder Wrap(ILatentAutoencoder inner) => new TimedAutoencoder(inner, this);

        sealed class TimedAutoencoder(ILatentAutoencoder inner, StageTimer timer) : ILatentAutoencoder
        {
            public Tensor Encode(Tensor image)
            {
                var sw = Stopwatch.StartNew();
                var z = inner.Encode(image);
                timer.Synchronize();
                timer.EncodeMs += sw.Elapsed.TotalMilliseconds;
                return z;
            }

            public Tensor Decode(Tensor latent)
            {
                var sw = Stopwatch.StartNew();
                var x = inner.Decode(latent);
                timer.Synchronize();
                timer.DecodeMs += sw.Elapsed.TotalMilliseconds;
                return x;
            }
        }
    }
}
