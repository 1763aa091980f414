using System.Text.Json;
using HfDiff.Torch.Configs;

namespace HfDiff.Torch.Archs.ResShift;

/// <summary>
/// The <c>ddconfig</c> dictionary shared by the LDM <c>Encoder</c>/<c>Decoder</c> (snake_case names in comments).
/// Defaults are the official VQGAN f4 used by ResShift/SinSR.
/// </summary>
public sealed record DdConfig
{
    public bool DoubleZ { get; init; }
    public int ZChannels { get; init; } = 3;
    /// <summary>resolution: nominal input size; only decides which levels get attention (attn_resolutions).</summary>
    public int Resolution { get; init; } = 256;
    public int InChannels { get; init; } = 3;
    public int OutCh { get; init; } = 3;
    public int Ch { get; init; } = 128;
    public IReadOnlyList<int> ChMult { get; init; } = [1, 2, 4];
    /// <summary>num_res_blocks per level (an int in Python is repeated over levels).</summary>
    public IReadOnlyList<int> NumResBlocks { get; init; } = [2, 2, 2];
    public IReadOnlyList<int> AttnResolutions { get; init; } = [];
    public double Dropout { get; init; }
    public bool ResampWithConv { get; init; } = true;
    /// <summary>
    /// padding_mode as written in the official YAML. PORT-QUIRK(ResShift, ldm/modules/diffusionmodules/model.py): the
    /// Encoder/Decoder swallow it through <c>**ignore_kwargs</c>, so every conv pads with zeros whatever it says; kept
    /// for round-tripping configs and validated, never applied.
    /// </summary>
    public string PaddingMode { get; init; } = "zeros";
    /// <summary>give_pre_end (Decoder): return the features before norm_out/conv_out.</summary>
    public bool GivePreEnd { get; init; }
    /// <summary>tanh_out (Decoder).</summary>
    public bool TanhOut { get; init; }
    /// <summary>attn_type: "vanilla" (single-head AttnBlock) or "none" (Identity).</summary>
    public string AttnType { get; init; } = "vanilla";

    static readonly string[] PaddingModes = ["zeros", "reflect", "replicate", "circular"];

    /// <summary>Parses a ddconfig dictionary. Missing keys take the Python constructor defaults; unknown keys are ignored like the reference's **ignore_kwargs.</summary>
    public static DdConfig FromDictionary(IReadOnlyDictionary<string, object?> kwargs)
    {
        var r = new OptionsBinder.Reader(kwargs, "ddconfig");
        var chMult = r.Get<int[]>("ch_mult", [1, 2, 4, 8]);
        bool linearAttn = r.Get<bool>("use_linear_attn", false);
        return new DdConfig
        {
            DoubleZ = r.Get<bool>("double_z", true),
            ZChannels = r.Required<int>("z_channels"),
            Resolution = r.Required<int>("resolution"),
            InChannels = r.Required<int>("in_channels"),
            OutCh = r.Required<int>("out_ch"),
            Ch = r.Required<int>("ch"),
            ChMult = chMult,
            NumResBlocks = r.IntOrList("num_res_blocks", chMult.Length),
            AttnResolutions = r.Required<int[]>("attn_resolutions"),
            Dropout = r.Get<double>("dropout", 0.0),
            ResampWithConv = r.Get<bool>("resamp_with_conv", true),
            PaddingMode = r.Get<string>("padding_mode", "zeros"),
            GivePreEnd = r.Get<bool>("give_pre_end", false),
            TanhOut = r.Get<bool>("tanh_out", false),
            AttnType = linearAttn ? "linear" : r.Get<string>("attn_type", "vanilla"),
        };
    }

    public void Validate()
    {
        static void Check(bool ok, string name, object value, string range)
        {
            if (!ok) throw new ArgumentOutOfRangeException(name, value, $"ddconfig.{name} must be {range}; got {value}.");
        }
        Check(ZChannels >= 1, "z_channels", ZChannels, ">= 1");
        Check(InChannels >= 1, "in_channels", InChannels, ">= 1");
        Check(OutCh >= 1, "out_ch", OutCh, ">= 1");
        Check(Ch >= 1 && ChMult.All(m => m >= 1 && Ch * m % 32 == 0), "ch", Ch, "such that every ch*ch_mult is a multiple of 32 (GroupNorm(32))");
        Check(ChMult.Count > 0, "ch_mult", "[]", "non-empty");
        Check(NumResBlocks.Count == ChMult.Count && NumResBlocks.All(n => n >= 0), "num_res_blocks", "[" + string.Join(", ", NumResBlocks) + "]",
              $"{ChMult.Count} values >= 0 (one per ch_mult level)");
        Check(Dropout is >= 0 and <= 1, "dropout", Dropout, "in [0, 1]");
        Check(PaddingModes.Contains(PaddingMode), "padding_mode", PaddingMode, "one of zeros, reflect, replicate, circular");
        Check(AttnType is "vanilla" or "none", "attn_type", AttnType, "'vanilla' or 'none' ('linear' and xformers variants are not ported)");
    }
}

/// <summary>
/// Constructor arguments of <c>ldm.models.autoencoder.VQModelTorch</c>. Defaults are the official VQGAN f4
/// (<c>autoencoder_vq_f4.pth</c>: embed_dim 3, n_embed 8192, ch 128, ch_mult [1,2,4]).
/// </summary>
public sealed record VQModelOptions
{
    public int EmbedDim { get; init; } = 3;
    public int NEmbed { get; init; } = 8192;
    public DdConfig DdConfig { get; init; } = new();
    /// <summary>sane_index_shape of the quantizer; <see cref="VQModelTorch.Quantize"/> always returns (B,H,W) indices.</summary>
    public bool SaneIndexShape { get; init; }

    /// <summary>Official VQGAN f4 (= the defaults).</summary>
    public static VQModelOptions Official => new();

    /// <summary>
    /// Builds options from VQModelTorch kwargs as config.json / a YAML <c>params:</c> section spells them:
    /// <c>{embed_dim, n_embed, ddconfig: {...}, remap?, sane_index_shape?}</c>. Unknown top-level keys throw.
    /// </summary>
    public static VQModelOptions FromDictionary(IReadOnlyDictionary<string, object?> kwargs)
    {
        var r = new OptionsBinder.Reader(kwargs, "VQModelTorch");
        var o = new VQModelOptions
        {
            EmbedDim = r.Required<int>("embed_dim"),
            NEmbed = r.Required<int>("n_embed"),
            DdConfig = DdConfig.FromDictionary(r.Dictionary("ddconfig")),
            SaneIndexShape = r.Get<bool>("sane_index_shape", false),
        };
        if (r.Optional<string>("remap") is { } remap)
            throw new ArgumentException($"VQModelTorch: 'remap' ({remap}) is not supported; the official models use remap=None.");
        r.ThrowOnUnused();
        return o;
    }

    /// <summary><see cref="FromDictionary"/> for a JSON object (e.g. <c>config.json["autoencoder"]["kwargs"]</c>).</summary>
    public static VQModelOptions FromJson(JsonElement kwargs) => FromDictionary(OptionsBinder.FromJson(kwargs));

    public void Validate()
    {
        if (EmbedDim < 1) throw new ArgumentOutOfRangeException("embed_dim", EmbedDim, $"embed_dim must be >= 1; got {EmbedDim}.");
        if (NEmbed < 1) throw new ArgumentOutOfRangeException("n_embed", NEmbed, $"n_embed must be >= 1; got {NEmbed}.");
        ArgumentNullException.ThrowIfNull(DdConfig, "ddconfig");
        DdConfig.Validate();
        ModelSize.Check("VQModelTorch", EstimatedParameterCount(), "n_embed, embed_dim, ddconfig.ch, ddconfig.ch_mult, ddconfig.num_res_blocks");
    }

    /// <summary>
    /// About how many parameters encoder, decoder and codebook have (within a factor of about two), in floating point so
    /// absurd settings cannot overflow; used to refuse settings that cannot fit in memory before any layer is built.
    /// </summary>
    public double EstimatedParameterCount()
    {
        var d = DdConfig;
        double Res(double cin, double cout) => 9 * cin * cout + 9 * cout * cout + cin * cout;
        double p = (double)NEmbed * EmbedDim + 2 * (EmbedDim + 1.0) * d.ZChannels;
        double chIn = d.Ch, top = d.Ch;
        for (int level = 0; level < d.ChMult.Count; level++)
        {
            double cout = d.Ch * (double)d.ChMult[level];
            int n = level < d.NumResBlocks.Count ? Math.Max(d.NumResBlocks[level], 0) : 2;
            // Encoder: n blocks and a downsampling conv; decoder: n + 1 blocks and an upsampling conv.
            p += n * Res(chIn, cout) + (n + 1) * Res(cout, cout) + 2 * 9 * cout * cout;
            chIn = top = cout;
        }
        // Two middle blocks with attention in each of encoder and decoder, plus the in/out convolutions.
        p += 2 * (2 * Res(top, top) + 4 * top * top) + 9 * (d.InChannels + d.OutCh) * d.Ch + 9 * top * 4 * d.ZChannels;
        return p;
    }
}
