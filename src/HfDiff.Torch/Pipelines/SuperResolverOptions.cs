using HfDiff.Torch.Archs.ResShift;
using HfDiff.Torch.Samplers;

namespace HfDiff.Torch.Pipelines;

/// <summary>
/// Settings of a <see cref="SuperResolver"/>. Defaults are the official SinSR one-step ×4 inference on the CPU when its
/// weights are in the model directory (seed 12345 as the official <c>--seed</c>, LR tiles of 512 with stride 448 as
/// <c>--chop_size 512</c>), else the bundled <see cref="Assets.BundledModel"/>.
/// </summary>
public sealed record SuperResolverOptions
{
    /// <summary>
    /// <c>"auto"</c> (default): official SinSR when a checkpoint or network option is given or the model directory holds
    /// <c>SinSR_v1.pth</c> and <c>autoencoder_vq_f4.pth</c>, else the bundled <c>hfdiff-tiny</c> model. Or <c>"sinsr"</c>,
    /// <c>"resshift"</c> (the built-in official configs, <see cref="Configs.SrConfigPresets"/>), <c>"hfdiff-tiny"</c> (the
    /// bundled model, <see cref="Assets.BundledModel"/>), or the path of an official YAML config (its <c>model</c>,
    /// <c>diffusion</c> and <c>autoencoder</c> sections are used).
    /// </summary>
    public string Config { get; init; } = AutoConfig;

    /// <summary>The <see cref="Config"/> value that picks the official SinSR model when present, else the bundled one.</summary>
    public const string AutoConfig = "auto";

    /// <summary>UNet weights (.pth / .safetensors); null → the model directory's <c>SinSR_v1.pth</c> (SinSR code base) or
    /// <c>resshift_realsrx4_s15_v1.pth</c> (ResShift code base).</summary>
    public string? UnetCheckpoint { get; init; }

    /// <summary>VQGAN f4 weights; null → the model directory's <c>autoencoder_vq_f4.pth</c>.</summary>
    public string? AutoencoderCheckpoint { get; init; }

    /// <summary>Folder of pretrained files (null → <c>$HFDIFF_MODELS</c>, else <c>~/.hfdiff/models</c>; see <see cref="Assets.ModelDirectory"/>).</summary>
    public string? ModelDirectory { get; init; }

    /// <summary>
    /// Sampling steps: 1 = the one-step path (SinSR student: ẑ_0 = f(z_T, T−1)); T (the config's <c>diffusion.steps</c>,
    /// 15 officially) = the ResShift stochastic chain. Null → 1 for a SinSR model, T for a ResShift model. Other values throw.
    /// </summary>
    public int? Steps { get; init; }

    /// <summary>Torch device: <c>"cpu"</c>, <c>"cuda"</c>, <c>"cuda:0"</c>, …; null (unset) runs on the CPU, and in ML.NET
    /// leaves the choice to MLContext.GpuDeviceId, which an explicit <c>"cpu"</c> overrides.</summary>
    public string? Device { get; init; }

    /// <summary>Seed of the noise; every <see cref="SuperResolver.SuperResolve(TorchSharp.torch.Tensor)"/> call restarts from it, so the
    /// same seed and input give the same output.</summary>
    public long Seed { get; init; } = 12345;

    /// <summary>
    /// LR tile side; larger images are processed in overlapping tiles (<see cref="LatentSrPipelineOptions.TileSize"/>).
    /// Null → the model's default: <see cref="OfficialTileSize"/> (512, the official <c>--chop_size</c>), or
    /// <see cref="Assets.BundledModel.DefaultTileSize"/> for the bundled model.
    /// </summary>
    public int? TileSize { get; init; }

    /// <summary>
    /// LR distance between tile starts, in [1, tile size]. Null → the model's default stride when <see cref="TileSize"/>
    /// is null too, else the official overlap ratio (448/512 = 7/8) of the given tile size.
    /// </summary>
    public int? TileStride { get; init; }

    public const int OfficialTileSize = 512;
    public const int OfficialTileStride = 448;

    public TileBlending TileBlending { get; init; } = TileBlending.Gaussian;

    /// <summary>
    /// Images (<see cref="SuperResolver.SuperResolveBatch"/>) or tiles of one large image super-resolved in one network
    /// call. Outputs are those of one at a time (same noise per image and per tile); memory grows about linearly with it,
    /// roughly the one-image peak working set per extra image (see README's speed table).
    /// </summary>
    public int BatchSize { get; init; } = 1;

    /// <summary>Fallback for LR sides too small for the reference's reflect padding (default: iterated reflect).</summary>
    public SmallSidePadding SmallSidePadding { get; init; } = SmallSidePadding.IteratedReflect;

    /// <summary>
    /// LR padding multiple; null → the reference's choice: <c>lq_size</c> of a ResShift-code-base UNet (64 officially),
    /// 64 (<c>desired_min_size</c>) for a SinSR-code-base UNet.
    /// </summary>
    public int? PaddingMultiple { get; init; }

    /// <summary>
    /// Opt-in: run the VQGAN on channels-last maps (its convolution weights are re-laid once, values unchanged; for
    /// modules passed to the module constructor this changes the caller's module too). On the CPU it skips oneDNN's NCHW
    /// reorders around each convolution (a few % less CPU time, measured under load). Off by default: the convolutions
    /// then round differently (encoder latent rel ≈ 4e-5 vs 4e-6 against the reference on the fixture), which the
    /// 15-step ResShift chain amplifies beyond the end-to-end parity bound on the reduced fixture networks.
    /// </summary>
    public bool ChannelsLastAutoencoder { get; init; }

    /// <summary>
    /// Arithmetic of the networks: fp32 (default, the reference's CPU numbers), bf16 (CPUs with AVX512_BF16/AMX), fp16
    /// (CUDA) or auto. Reduced precision keeps the VQ codebook search, GroupNorm statistics and the sampler in float32.
    /// For modules passed to the module constructor the conversion changes the caller's modules too.
    /// </summary>
    public InferencePrecision Precision { get; init; } = InferencePrecision.Fp32;

    /// <summary>Explicit UNet options overriding the config's <c>model.params</c> (e.g. the reduced fixture networks).</summary>
    public UNetModelSwinOptions? Unet { get; init; }

    /// <summary>Explicit VQGAN options overriding the config's <c>autoencoder.params</c>.</summary>
    public VQModelOptions? Autoencoder { get; init; }

    /// <summary>The padding the SinSR sampler uses (<c>desired_min_size</c> in wyf0912/SinSR sampler.py).</summary>
    public const int SinSrPaddingMultiple = 64;
}
