using System.Text.Json;
using HfDiff.Torch.Configs;

namespace HfDiff.Torch.Archs.ResShift;

/// <summary>Which copy of <c>models/unet.py</c> a <see cref="UNetModelSwin"/> follows; they differ only in LQ conditioning.</summary>
public enum UNetCodeBase
{
    /// <summary>
    /// zsyOAOA/ResShift: <c>in_channels</c> counts the latent only; the LQ image (+ optional mask) goes through
    /// <c>feature_extractor</c> (Identity when <c>lq_size == image_size</c>) and its channels are added to the first conv.
    /// </summary>
    ResShift,

    /// <summary>
    /// wyf0912/SinSR: <c>in_channels</c> already counts latent + LQ (6); no <c>lq_size</c>/<c>cond_mask</c>; an LQ of another
    /// size than x is pixel-unshuffled (larger) or nearest-upsampled ×4 (smaller) before the concat.
    /// </summary>
    SinSR,
}

/// <summary>
/// Constructor arguments of <c>models.unet.UNetModelSwin</c> (snake_case names in comments). Defaults are the official
/// ResShift realsr ×4 config (<c>realsr_swinunet_realesrgan256.yaml</c>); <see cref="OfficialSinSR"/> is SinSR.yaml.
/// <see cref="FromDictionary"/> instead applies the Python constructor's own defaults to missing keys, as the reference does.
/// </summary>
public sealed record UNetModelSwinOptions
{
    public UNetCodeBase CodeBase { get; init; } = UNetCodeBase.ResShift;
    /// <summary>image_size: latent side the model was built for; fixes the Swin window clamp per level.</summary>
    public int ImageSize { get; init; } = 64;
    /// <summary>in_channels (ResShift: latent channels only; SinSR: latent + LQ channels).</summary>
    public int InChannels { get; init; } = 3;
    public int ModelChannels { get; init; } = 160;
    public int OutChannels { get; init; } = 3;
    /// <summary>attention_resolutions: values of <c>ds</c> (starting at image_size, halved per level) that get a Swin layer.</summary>
    public IReadOnlyList<int> AttentionResolutions { get; init; } = [64, 32, 16, 8];
    public double Dropout { get; init; }
    public IReadOnlyList<int> ChannelMult { get; init; } = [1, 2, 2, 4];
    /// <summary>num_res_blocks per level (an int in Python is repeated over levels).</summary>
    public IReadOnlyList<int> NumResBlocks { get; init; } = [2, 2, 2, 2];
    public bool ConvResample { get; init; } = true;
    public int Dims { get; init; } = 2;
    public bool UseFp16 { get; init; }
    public int NumHeads { get; init; } = 1;
    /// <summary>num_head_channels: −1 uses <see cref="NumHeads"/>; else Swin heads = swin_embed_dim / num_head_channels.</summary>
    public int NumHeadChannels { get; init; } = 32;
    public bool UseScaleShiftNorm { get; init; } = true;
    public bool ResblockUpdown { get; init; }
    public int SwinDepth { get; init; } = 2;
    public int SwinEmbedDim { get; init; } = 192;
    public int WindowSize { get; init; } = 8;
    public double MlpRatio { get; init; } = 4;
    public bool PatchNorm { get; init; }
    public bool CondLq { get; init; } = true;
    /// <summary>cond_mask (ResShift only).</summary>
    public bool CondMask { get; init; }
    /// <summary>lq_size (ResShift only): Identity feature extractor when equal to image_size.</summary>
    public int LqSize { get; init; } = 64;

    /// <summary>Official ResShift realsr ×4 UNet (= the defaults).</summary>
    public static UNetModelSwinOptions OfficialResShift => new();

    /// <summary>Official SinSR UNet (SinSR.yaml): ResShift's network with in_channels 6 and SinSR's forward.</summary>
    public static UNetModelSwinOptions OfficialSinSR => new() { CodeBase = UNetCodeBase.SinSR, InChannels = 6 };

    /// <summary>The Python constructor's defaults for keys a kwargs dictionary leaves out (required keys have none).</summary>
    static UNetModelSwinOptions PythonDefaults(UNetCodeBase codeBase) => new()
    {
        CodeBase = codeBase, Dropout = 0, ChannelMult = [1, 2, 4, 8], ConvResample = true, Dims = 2, UseFp16 = false,
        NumHeads = 1, NumHeadChannels = -1, UseScaleShiftNorm = false, ResblockUpdown = false, SwinDepth = 2,
        SwinEmbedDim = 96, WindowSize = 8, MlpRatio = 2.0, PatchNorm = false, CondLq = true, CondMask = false,
        // lq_size exists only in ResShift's constructor (default 256); SinSR ignores it, so keep the record default there.
        LqSize = codeBase == UNetCodeBase.ResShift ? 256 : new UNetModelSwinOptions().LqSize,
    };

    /// <summary>
    /// Builds options from the constructor kwargs exactly as config.json / a YAML <c>params:</c> section spells them
    /// (snake_case keys; int/double/bool/list values). Missing optional keys take the Python constructor defaults;
    /// unknown keys throw (Python raises TypeError). <paramref name="codeBase"/> null infers: <c>lq_size</c> or
    /// <c>cond_mask</c> present → ResShift, else SinSR (SinSR's constructor has neither).
    /// </summary>
    public static UNetModelSwinOptions FromDictionary(IReadOnlyDictionary<string, object?> kwargs, UNetCodeBase? codeBase = null)
    {
        ArgumentNullException.ThrowIfNull(kwargs);
        var cb = codeBase ?? (kwargs.ContainsKey("lq_size") || kwargs.ContainsKey("cond_mask") ? UNetCodeBase.ResShift : UNetCodeBase.SinSR);
        var r = new OptionsBinder.Reader(kwargs, $"UNetModelSwin ({cb})");
        var d = PythonDefaults(cb);
        var channelMult = r.Get<int[]>("channel_mult", [.. d.ChannelMult]);
        var o = d with
        {
            ImageSize = r.Required<int>("image_size"),
            InChannels = r.Required<int>("in_channels"),
            ModelChannels = r.Required<int>("model_channels"),
            OutChannels = r.Required<int>("out_channels"),
            NumResBlocks = r.IntOrList("num_res_blocks", channelMult.Length),
            AttentionResolutions = r.Required<int[]>("attention_resolutions"),
            Dropout = r.Get<double>("dropout", d.Dropout),
            ChannelMult = channelMult,
            ConvResample = r.Get<bool>("conv_resample", d.ConvResample),
            Dims = r.Get<int>("dims", d.Dims),
            UseFp16 = r.Get<bool>("use_fp16", d.UseFp16),
            NumHeads = r.Get<int>("num_heads", d.NumHeads),
            NumHeadChannels = r.Get<int>("num_head_channels", d.NumHeadChannels),
            UseScaleShiftNorm = r.Get<bool>("use_scale_shift_norm", d.UseScaleShiftNorm),
            ResblockUpdown = r.Get<bool>("resblock_updown", d.ResblockUpdown),
            SwinDepth = r.Get<int>("swin_depth", d.SwinDepth),
            SwinEmbedDim = r.Get<int>("swin_embed_dim", d.SwinEmbedDim),
            WindowSize = r.Get<int>("window_size", d.WindowSize),
            MlpRatio = r.Get<double>("mlp_ratio", d.MlpRatio),
            PatchNorm = r.Get<bool>("patch_norm", d.PatchNorm),
            CondLq = r.Get<bool>("cond_lq", d.CondLq),
        };
        if (cb == UNetCodeBase.ResShift)
            o = o with { CondMask = r.Get<bool>("cond_mask", d.CondMask), LqSize = r.Get<int>("lq_size", d.LqSize) };
        r.ThrowOnUnused();
        return o;
    }

    /// <summary><see cref="FromDictionary"/> for a JSON object (e.g. <c>config.json["resshift_unet_A"]["resshift_kwargs"]</c>).</summary>
    public static UNetModelSwinOptions FromJson(JsonElement kwargs, UNetCodeBase? codeBase = null) =>
        FromDictionary(OptionsBinder.FromJson(kwargs), codeBase);

    /// <summary>Number of Swin heads the reference computes: num_heads if num_head_channels == −1, else embed/head_channels.</summary>
    internal int SwinHeads => NumHeadChannels == -1 ? NumHeads : SwinEmbedDim / NumHeadChannels;

    /// <summary>Throws <see cref="ArgumentOutOfRangeException"/> naming the first invalid setting.</summary>
    public void Validate()
    {
        static void Check(bool ok, string name, object value, string range)
        {
            if (!ok) throw new ArgumentOutOfRangeException(name, value, $"{name} must be {range}; got {value}.");
        }
        Check(ImageSize >= 1, "image_size", ImageSize, ">= 1");
        Check(InChannels >= 1, "in_channels", InChannels, ">= 1");
        Check(ModelChannels >= 1, "model_channels", ModelChannels, ">= 1");
        Check(OutChannels >= 1, "out_channels", OutChannels, ">= 1");
        Check(ChannelMult is { Count: > 0 } && ChannelMult.All(m => m >= 1), "channel_mult", Fmt(ChannelMult), "a non-empty list of values >= 1");
        Check(NumResBlocks is not null && NumResBlocks.Count == ChannelMult!.Count && NumResBlocks.All(n => n >= 0),
              "num_res_blocks", Fmt(NumResBlocks), $"{ChannelMult!.Count} values >= 0 (one per channel_mult level)");
        Check(AttentionResolutions is not null, "attention_resolutions", "null", "a list");
        Check(Dropout is >= 0 and <= 1, "dropout", Dropout, "in [0, 1]");
        Check(Dims == 2, "dims", Dims, "2 (only 2-D UNets are ported)");
        Check(!UseFp16, "use_fp16", UseFp16, "false (this port runs the network in float32)");
        Check(NumHeadChannels == -1 || NumHeadChannels >= 1, "num_head_channels", NumHeadChannels, "-1 or >= 1");
        Check(SwinHeads >= 1, NumHeadChannels == -1 ? "num_heads" : "num_head_channels", NumHeadChannels == -1 ? NumHeads : NumHeadChannels,
              "such that the number of Swin heads is >= 1");
        Check(SwinEmbedDim >= 1 && SwinEmbedDim % SwinHeads == 0, "swin_embed_dim", SwinEmbedDim, $"a positive multiple of the Swin head count {SwinHeads}");
        // GroupNorm32 needs channel counts divisible by 32 (nn.GroupNorm raises otherwise).
        Check(SwinEmbedDim % 32 == 0, "swin_embed_dim", SwinEmbedDim, "a multiple of 32 (GroupNorm32)");
        Check(ChannelMult.All(m => m * ModelChannels % 32 == 0), "model_channels", ModelChannels, "such that every model_channels*channel_mult is a multiple of 32 (GroupNorm32)");
        Check(SwinDepth >= 0, "swin_depth", SwinDepth, ">= 0");
        Check(WindowSize >= 1, "window_size", WindowSize, ">= 1");
        Check(MlpRatio > 0, "mlp_ratio", MlpRatio, "> 0");
        if (CodeBase == UNetCodeBase.ResShift) Check(LqSize >= 1, "lq_size", LqSize, ">= 1");
        else Check(!CondMask, "cond_mask", CondMask, "false for the SinSR code base (its constructor has no cond_mask)");
        ModelSize.Check("UNetModelSwin", EstimatedParameterCount(), "model_channels, channel_mult, num_res_blocks, swin_embed_dim, swin_depth, mlp_ratio");
    }

    /// <summary>
    /// About how many parameters the network has (within a factor of about two: every level is counted with its Swin
    /// layer), computed in floating point so absurd settings cannot overflow. Used to refuse settings that cannot fit
    /// in memory before any layer is built.
    /// </summary>
    public double EstimatedParameterCount()
    {
        double mc = ModelChannels, emb = 4 * mc, e = SwinEmbedDim, depth = Math.Max(SwinDepth, 0), mlp = Math.Max(MlpRatio, 0);
        double Res(double cin, double cout) => 9 * cin * cout + 9 * cout * cout + 2 * emb * cout + cin * cout;
        double Swin(double ch) => depth * (4 + 2 * mlp) * e * e + 2 * ch * e;
        double p = mc * emb + emb * emb + 9 * (InChannels + 3.0) * mc * (ChannelMult?.Count > 0 ? ChannelMult[0] : 1);
        double ch = mc * (ChannelMult?.Count > 0 ? ChannelMult[0] : 1);
        var levels = ChannelMult ?? [];
        var chans = new List<double> { ch };
        for (int level = 0; level < levels.Count; level++)
        {
            double cout = levels[level] * mc;
            int n = NumResBlocks is { } nr && level < nr.Count ? Math.Max(nr[level], 0) : 2;
            for (int i = 0; i < n; i++) { p += Res(ch, cout) + Swin(cout); ch = cout; chans.Add(ch); }
            if (level != levels.Count - 1) { p += 9 * ch * ch; chans.Add(ch); }
        }
        p += 2 * Res(ch, ch) + Swin(ch);
        for (int level = levels.Count - 1; level >= 0; level--)
        {
            double cout = levels[level] * mc;
            int n = NumResBlocks is { } nr && level < nr.Count ? Math.Max(nr[level], 0) : 2;
            for (int i = 0; i < n + 1; i++)
            {
                double ich = chans.Count > 0 ? chans[^1] : ch;
                if (chans.Count > 0) chans.RemoveAt(chans.Count - 1);
                p += Res(ch + ich, cout) + Swin(cout);
                ch = cout;
            }
            if (level > 0) p += 9 * ch * ch;
        }
        return p + 9 * ch * OutChannels;
    }

    static string Fmt(IReadOnlyList<int>? v) => v is null ? "null" : "[" + string.Join(", ", v) + "]";
}
