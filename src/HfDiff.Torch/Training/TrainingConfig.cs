using HfDiff.Torch.Configs;
using HfDiff.Torch.Losses;
using HfDiff.Torch.Losses.Distillation;
using HfDiff.Torch.Metrics.Lpips;
using HfDiff.Torch.Training.Core;
using HfDiff.Torch.Training.HfDiff;
using YamlDotNet.RepresentationModel;

namespace HfDiff.Torch.Training;

/// <summary>
/// The <c>train:</c> keys of an official ResShift / SinSR YAML that our trainers use, plus our own <c>hfdiff:</c> section
/// (<c>keep_checkpoints</c>, <c>max_grad_norm</c>, <c>max_consecutive_nonfinite</c>, <c>gt_size</c>, <c>log_every</c>,
/// <c>val_freq</c>, <c>val_images</c>, and HF-Diff's terms: <c>losses</c>, <c>hf_weight</c>, <c>hf_domain</c>, <c>inn_ckpt</c>,
/// <c>dm_weight</c>, <c>dinov2</c>, <c>dinov2_ckpt</c>, <c>dm_temperature</c>, <c>vgg_weight</c>, <c>lpips_weight</c>, <c>lpips_net</c>;
/// see <see cref="HfDiffLossOptions"/>).
/// Other keys (data, degradation, validation, AMP) are ignored.
/// </summary>
public sealed record TrainingConfig
{
    public double Lr { get; init; } = 5e-5;
    public double LrMin { get; init; }
    /// <summary><c>lr_schedule</c>: null (constant after warm-up) or <c>cosin</c> (ResShift's spelling).</summary>
    public string? LrSchedule { get; init; }
    /// <summary><c>batch[0]</c> (the official value is a [train, val] pair).</summary>
    public int Batch { get; init; } = 64;
    public int Microbatch { get; init; } = 8;
    public double EmaRate { get; init; } = 0.999;
    public long Iterations { get; init; } = 500_000;
    public IReadOnlyList<long> Milestones { get; init; } = [];
    public long WarmupIterations { get; init; }
    public double WeightDecay { get; init; }
    public long SaveFreq { get; init; } = 10_000;
    public long Seed { get; init; } = 12345;
    public bool LearnXT { get; init; }
    public double FinetuneUseGt { get; init; }

    public int KeepCheckpoints { get; init; } = 2;
    public double? MaxGradNorm { get; init; }
    public int MaxConsecutiveNonFinite { get; init; } = 5;
    public int GtSize { get; init; } = 256;
    /// <summary>
    /// <c>hfdiff.crop_mode</c>: <c>rescale</c> (default; ResShift's <c>rescale_gt</c>: the largest square crop resized to
    /// gt_size) or <c>realesrgan</c> (Real-ESRGAN's random <c>crop_pad_size</c>² crop at native resolution, degraded, then a
    /// random gt_size crop: more distinct crops from a small folder).
    /// </summary>
    public Data.SrPairs.SrCropMode CropMode { get; init; } = Data.SrPairs.SrCropMode.ResShiftRescale;
    /// <summary><c>hfdiff.crop_pad_size</c>: the first crop of <c>crop_mode: realesrgan</c> (Real-ESRGAN: 400).</summary>
    public int CropPadSize { get; init; } = 400;
    public int LogEvery { get; init; } = 10;
    /// <summary><c>train.val_freq</c> (or <c>hfdiff.val_freq</c>): validate every this many iterations (and after the last).</summary>
    public long ValFreq { get; init; } = 5000;
    /// <summary><c>hfdiff.val_images</c>: at most this many validation images per validation (0 = all).</summary>
    public int ValImages { get; init; }
    /// <summary><c>hfdiff.early_backward</c>: the student's lower-memory backward order (<see cref="SinSrStudentTrainerOptions.EarlyBackward"/>).</summary>
    public bool EarlyBackward { get; init; }
    /// <summary><c>hfdiff.extra_terms_first</c>: with early_backward, the extra terms before the student's graph
    /// (<see cref="SinSrStudentTrainerOptions.ExtraTermsFirst"/>).</summary>
    public bool ExtraTermsFirst { get; init; }
    /// <summary>HF-Diff's extra terms of the student (<c>hfdiff.losses</c> and the weights/checkpoints).</summary>
    public HfDiffLossOptions HfDiff { get; init; } = new();

    /// <summary>
    /// Reads a YAML file: the <c>train:</c> and <c>hfdiff:</c> sections bind through <see cref="OptionsBinder.Reader"/> under
    /// <see cref="ValueRules.TrainingYaml"/>; absent or null keys keep the defaults and keys not read here are ignored (the
    /// official <c>train:</c> has many this port does not use: <c>use_amp</c>, <c>log_freq</c>, ...). Throws
    /// <see cref="InvalidDataException"/> naming the file, line, <c>section.key</c>, the value and what is allowed.
    /// </summary>
    public static TrainingConfig Load(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"Config '{path}' does not exist.", path);
        var stream = new YamlStream();
        using (var reader = new StreamReader(path)) stream.Load(reader);
        if (stream.Documents.Count == 0 || stream.Documents[0].RootNode is not YamlMappingNode root)
            throw new InvalidDataException($"'{path}' is not a YAML mapping.");
        var c = new TrainingConfig();
        if (Child(root, "train") is YamlMappingNode t)
        {
            var r = SectionReader(path, "train", t);
            c = c with
            {
                Lr = r.Get("lr", c.Lr), LrMin = r.Get("lr_min", c.LrMin), LrSchedule = r.Get("lr_schedule", c.LrSchedule),
                Batch = r.FirstOrSingle("batch", c.Batch), Microbatch = r.Get("microbatch", c.Microbatch),
                EmaRate = r.Get("ema_rate", c.EmaRate), Iterations = r.Get("iterations", c.Iterations),
                Milestones = r.Get("milestones", c.Milestones), WarmupIterations = r.Get("warmup_iterations", c.WarmupIterations),
                WeightDecay = r.Get("weight_decay", c.WeightDecay), SaveFreq = r.Get("save_freq", c.SaveFreq),
                Seed = r.Get("seed", c.Seed), LearnXT = r.Get("learn_xT", c.LearnXT),
                FinetuneUseGt = r.NumberOrBool("finetune_use_gt", c.FinetuneUseGt),
                ValFreq = r.Get("val_freq", c.ValFreq),
            };
        }
        if (Child(root, "hfdiff") is YamlMappingNode h)
        {
            var r = SectionReader(path, "hfdiff", h);
            c = c with
            {
                KeepCheckpoints = r.Get("keep_checkpoints", c.KeepCheckpoints), MaxGradNorm = r.Get("max_grad_norm", c.MaxGradNorm),
                MaxConsecutiveNonFinite = r.Get("max_consecutive_nonfinite", c.MaxConsecutiveNonFinite),
                GtSize = r.Get("gt_size", c.GtSize), LogEvery = r.Get("log_every", c.LogEvery),
                ValFreq = r.Get("val_freq", c.ValFreq), ValImages = r.Get("val_images", c.ValImages),
                CropMode = r.Choice("crop_mode", c.CropMode,
                    ("rescale", Data.SrPairs.SrCropMode.ResShiftRescale), ("rescale_gt", Data.SrPairs.SrCropMode.ResShiftRescale),
                    ("realesrgan", Data.SrPairs.SrCropMode.RealEsrganCropPad), ("crop_pad", Data.SrPairs.SrCropMode.RealEsrganCropPad)),
                CropPadSize = r.Get("crop_pad_size", c.CropPadSize),
                EarlyBackward = r.Get("early_backward", c.EarlyBackward),
                ExtraTermsFirst = r.Get("extra_terms_first", c.ExtraTermsFirst),
            };
            if (c.ExtraTermsFirst && !c.EarlyBackward)
                throw new InvalidDataException($"'{path}': hfdiff.extra_terms_first: true needs hfdiff.early_backward: true.");
            var d = c.HfDiff;
            var losses = r.Get<string?>("losses", null);
            HfDiffLossTerms terms;
            try { terms = losses is null ? d.Terms : HfDiffAblation.Parse(losses); }
            catch (FormatException e) { throw new InvalidDataException($"'{path}': hfdiff.losses: {e.Message}"); }
            c = c with
            {
                HfDiff = d with
                {
                    Terms = terms, HighFrequencyWeight = r.Get("hf_weight", d.HighFrequencyWeight),
                    HighFrequencyDomain = r.Choice("hf_domain", d.HighFrequencyDomain,
                        ("latent", HighFrequencyLossDomain.VqLatent), ("latents", HighFrequencyLossDomain.VqLatent), ("vq", HighFrequencyLossDomain.VqLatent),
                        ("image", HighFrequencyLossDomain.Rgb), ("images", HighFrequencyLossDomain.Rgb), ("rgb", HighFrequencyLossDomain.Rgb)),
                    InnCheckpoint = Relative(path, r.Get<string?>("inn_ckpt", null)) ?? d.InnCheckpoint,
                    DistributionMatchingWeight = r.Get("dm_weight", d.DistributionMatchingWeight), Dinov2Model = r.Get("dinov2", d.Dinov2Model),
                    Dinov2Checkpoint = Relative(path, r.Get<string?>("dinov2_ckpt", null)) ?? d.Dinov2Checkpoint,
                    DistributionMatchingTemperature = r.Get("dm_temperature", d.DistributionMatchingTemperature),
                    ImageChunk = r.Get("image_chunk", d.ImageChunk),
                    TermPrecision = r.Choice("term_precision", d.TermPrecision,
                        ("fp32", HfDiffTermPrecision.Fp32), ("float32", HfDiffTermPrecision.Fp32),
                        ("bf16", HfDiffTermPrecision.Bf16), ("bfloat16", HfDiffTermPrecision.Bf16)),
                    VggWeight = r.Get("vgg_weight", d.VggWeight), LpipsWeight = r.Get("lpips_weight", d.LpipsWeight),
                    LpipsNet = r.Choice("lpips_net", d.LpipsNet, ("vgg", LpipsNet.Vgg), ("alex", LpipsNet.Alex)),
                },
            };
            // Our own section: a key we do not read is a typo (hf_wieght), not an official key to ignore as in train:.
            r.ThrowOnUnused();
            try { c.HfDiff.Validate(); }
            catch (ArgumentException e) { throw new InvalidDataException($"'{path}': hfdiff: {e.Message}"); }
        }
        return c;
    }

    /// <summary>A path relative to the YAML's folder when that file exists; otherwise as written (a model-directory file name).</summary>
    static string? Relative(string yamlPath, string? value)
    {
        if (string.IsNullOrWhiteSpace(value) || Path.IsPathRooted(value)) return value;
        var beside = Path.GetFullPath(Path.Combine(Path.GetDirectoryName(Path.GetFullPath(yamlPath))!, value));
        return File.Exists(beside) ? beside : value;
    }

    /// <summary>The student trainer's options: the distillation flags of <c>train:</c> and the HF-Diff terms of <c>hfdiff:</c>.</summary>
    public SinSrStudentTrainerOptions ToStudentOptions(string? modelDirectory = null) => new()
    {
        Loss = new SinSrDistillationLossOptions { LearnXT = LearnXT, FinetuneUseGt = FinetuneUseGt },
        HfDiff = HfDiff,
        ModelDirectory = modelDirectory,
        EarlyBackward = EarlyBackward,
        ExtraTermsFirst = ExtraTermsFirst,
    };

    /// <summary>The loop settings: SinSR's milestone rule for the student, ResShift's warm-up (+ cosine) rule for the teacher.</summary>
    public TrainingLoopOptions ToLoopOptions(bool student, string outputFolder, bool resume, string device) => new()
    {
        OutputFolder = outputFolder,
        LrSchedule = student
            ? new SinSrLrSchedule(Lr, Milestones)
            : new ResShiftLrSchedule(Lr, WarmupIterations, cosine: string.Equals(LrSchedule, "cosin", StringComparison.OrdinalIgnoreCase), LrMin, Iterations),
        Iterations = Iterations, Batch = Batch, Microbatch = Microbatch, EmaRate = EmaRate, WeightDecay = WeightDecay,
        MaxGradNorm = MaxGradNorm, MaxConsecutiveNonFinite = MaxConsecutiveNonFinite, SaveFreq = SaveFreq, KeepCheckpoints = KeepCheckpoints,
        Seed = Seed, Resume = resume, Device = device,
    };

    static YamlNode? Child(YamlMappingNode map, string key) =>
        map.Children.TryGetValue(new YamlScalarNode(key), out var v) && !(v is YamlScalarNode s && IsNull(s.Value)) ? v : null;

    static bool IsNull(string? v) => v is null or "" or "~" or "null" or "Null" or "NULL" or "None";

    /// <summary>
    /// A reader over one section: each scalar as its text (null-like ones dropped, so the key keeps its default), lists and
    /// mappings as lists and dictionaries; errors carry the file, the key's line and <c>section.key</c>.
    /// </summary>
    static OptionsBinder.Reader SectionReader(string path, string section, YamlMappingNode map)
    {
        var values = new Dictionary<string, object?>(StringComparer.Ordinal);
        var lines = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var (k, v) in map.Children)
        {
            if (k is not YamlScalarNode { Value: { } key } || v is YamlScalarNode s && IsNull(s.Value)) continue;
            values[key] = Plain(v);
            lines[key] = v.Start.Line;
        }
        string Where(string key) => lines.TryGetValue(key, out var line) ? $"'{path}' (line {line})" : $"'{path}'";
        return new OptionsBinder.Reader(values, ValueRules.TrainingYaml, new BindingErrors(
            key => new InvalidDataException($"'{path}': {section}.{key} is missing."),
            (key, value, expected) => new InvalidDataException($"{Where(key)}: {section}.{key} must be {expected}; got {OptionsBinder.Describe(value)}."),
            (keys, known) => new InvalidDataException(
                $"'{path}': {section} has unknown key(s) {string.Join(", ", keys.Select(k => $"'{k}'"))}; known: {string.Join(", ", known)}.")));
    }

    static object? Plain(YamlNode node) => node switch
    {
        YamlScalarNode s => IsNull(s.Value) ? null : s.Value,
        YamlSequenceNode seq => seq.Children.Select(Plain).ToList(),
        YamlMappingNode m => m.Children.Where(kv => kv.Key is YamlScalarNode { Value: not null })
            .ToDictionary(kv => ((YamlScalarNode)kv.Key).Value!, kv => Plain(kv.Value), StringComparer.Ordinal),
        _ => null,
    };
}
