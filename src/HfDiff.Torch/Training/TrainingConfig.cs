using System.Globalization;
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
    /// <summary>HF-Diff's extra terms of the student (<c>hfdiff.losses</c> and the weights/checkpoints).</summary>
    public HfDiffLossOptions HfDiff { get; init; } = new();

    /// <summary>Reads a YAML file. Throws <see cref="InvalidDataException"/> naming the file and key for bad values.</summary>
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
            var r = new Reader(path, "train", t);
            c = c with
            {
                Lr = r.Double("lr") ?? c.Lr, LrMin = r.Double("lr_min") ?? c.LrMin, LrSchedule = r.String("lr_schedule"),
                Batch = (int)(r.LongOrFirst("batch") ?? c.Batch), Microbatch = (int)(r.Long("microbatch") ?? c.Microbatch),
                EmaRate = r.Double("ema_rate") ?? c.EmaRate, Iterations = r.Long("iterations") ?? c.Iterations,
                Milestones = r.Longs("milestones") ?? c.Milestones, WarmupIterations = r.Long("warmup_iterations") ?? c.WarmupIterations,
                WeightDecay = r.Double("weight_decay") ?? c.WeightDecay, SaveFreq = r.Long("save_freq") ?? c.SaveFreq,
                Seed = r.Long("seed") ?? c.Seed, LearnXT = r.Bool("learn_xT") ?? c.LearnXT,
                FinetuneUseGt = r.Double("finetune_use_gt") ?? (r.Bool("finetune_use_gt") is bool b ? (b ? 1 : 0) : c.FinetuneUseGt),
                ValFreq = r.Long("val_freq") ?? c.ValFreq,
            };
        }
        if (Child(root, "hfdiff") is YamlMappingNode h)
        {
            var r = new Reader(path, "hfdiff", h);
            c = c with
            {
                KeepCheckpoints = (int)(r.Long("keep_checkpoints") ?? c.KeepCheckpoints), MaxGradNorm = r.Double("max_grad_norm") ?? c.MaxGradNorm,
                MaxConsecutiveNonFinite = (int)(r.Long("max_consecutive_nonfinite") ?? c.MaxConsecutiveNonFinite),
                GtSize = (int)(r.Long("gt_size") ?? c.GtSize), LogEvery = (int)(r.Long("log_every") ?? c.LogEvery),
                ValFreq = r.Long("val_freq") ?? c.ValFreq, ValImages = (int)(r.Long("val_images") ?? c.ValImages),
                CropMode = r.String("crop_mode")?.Trim().ToLowerInvariant() switch
                {
                    null => c.CropMode,
                    "rescale" or "rescale_gt" => Data.SrPairs.SrCropMode.ResShiftRescale,
                    "realesrgan" or "crop_pad" => Data.SrPairs.SrCropMode.RealEsrganCropPad,
                    var v => throw new InvalidDataException($"'{path}': hfdiff.crop_mode must be rescale or realesrgan (got '{v}')."),
                },
                CropPadSize = (int)(r.Long("crop_pad_size") ?? c.CropPadSize),
                EarlyBackward = r.Bool("early_backward") ?? c.EarlyBackward,
            };
            var d = c.HfDiff;
            var losses = r.String("losses");
            HfDiffLossTerms terms;
            try { terms = losses is null ? d.Terms : HfDiffAblation.Parse(losses); }
            catch (FormatException e) { throw new InvalidDataException($"'{path}': hfdiff.losses: {e.Message}"); }
            var domain = r.String("hf_domain")?.Trim().ToLowerInvariant() switch
            {
                null => d.HighFrequencyDomain,
                "latent" or "latents" or "vq" => HighFrequencyLossDomain.VqLatent,
                "image" or "images" or "rgb" => HighFrequencyLossDomain.Rgb,
                var v => throw new InvalidDataException($"'{path}': hfdiff.hf_domain must be latent or image (got '{v}')."),
            };
            var lpipsNet = r.String("lpips_net")?.Trim().ToLowerInvariant() switch
            {
                null => d.LpipsNet,
                "vgg" => LpipsNet.Vgg,
                "alex" => LpipsNet.Alex,
                var v => throw new InvalidDataException($"'{path}': hfdiff.lpips_net must be vgg or alex (got '{v}')."),
            };
            c = c with
            {
                HfDiff = d with
                {
                    Terms = terms, HighFrequencyWeight = r.Double("hf_weight") ?? d.HighFrequencyWeight, HighFrequencyDomain = domain,
                    InnCheckpoint = Relative(path, r.String("inn_ckpt")) ?? d.InnCheckpoint,
                    DistributionMatchingWeight = r.Double("dm_weight") ?? d.DistributionMatchingWeight, Dinov2Model = r.String("dinov2") ?? d.Dinov2Model,
                    Dinov2Checkpoint = Relative(path, r.String("dinov2_ckpt")) ?? d.Dinov2Checkpoint,
                    DistributionMatchingTemperature = r.Double("dm_temperature") ?? d.DistributionMatchingTemperature,
                    ImageChunk = (int)(r.Long("image_chunk") ?? d.ImageChunk),
                    VggWeight = r.Double("vgg_weight") ?? d.VggWeight, LpipsWeight = r.Double("lpips_weight") ?? d.LpipsWeight, LpipsNet = lpipsNet,
                },
            };
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

    sealed class Reader(string path, string section, YamlMappingNode map)
    {
        string? Scalar(string key)
        {
            var node = Child(map, key);
            if (node is null) return null;
            if (node is not YamlScalarNode s) throw Bad(key, "a single value");
            return s.Value;
        }

        InvalidDataException Bad(string key, string what) => new($"'{path}': {section}.{key} must be {what}.");

        public string? String(string key) => Scalar(key);

        public double? Double(string key)
        {
            var v = Scalar(key);
            if (v is null) return null;
            if (v is "true" or "True" or "false" or "False") return null;
            return double.TryParse(v, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) ? d : throw Bad(key, $"a number (got '{v}')");
        }

        public long? Long(string key)
        {
            var v = Scalar(key);
            if (v is null) return null;
            if (long.TryParse(v, NumberStyles.Integer, CultureInfo.InvariantCulture, out var l)) return l;
            return double.TryParse(v, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) && d == Math.Floor(d) ? (long)d : throw Bad(key, $"an integer (got '{v}')");
        }

        public bool? Bool(string key)
        {
            var v = Scalar(key);
            return v switch
            {
                null => null,
                "true" or "True" or "TRUE" => true,
                "false" or "False" or "FALSE" => false,
                _ => double.TryParse(v, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) ? d != 0 : throw Bad(key, $"true or false (got '{v}')"),
            };
        }

        public IReadOnlyList<long>? Longs(string key)
        {
            var node = Child(map, key);
            if (node is null) return null;
            if (node is not YamlSequenceNode seq) throw Bad(key, "a list of integers");
            return seq.Children.Select(c => c is YamlScalarNode s && long.TryParse(s.Value, NumberStyles.Integer, CultureInfo.InvariantCulture, out var l)
                ? l : throw Bad(key, "a list of integers")).ToList();
        }

        /// <summary>An integer, or the first of a list (<c>batch: [64, 8]</c>).</summary>
        public long? LongOrFirst(string key)
        {
            var node = Child(map, key);
            if (node is YamlSequenceNode seq)
                return seq.Children.Count > 0 && seq.Children[0] is YamlScalarNode s && long.TryParse(s.Value, NumberStyles.Integer, CultureInfo.InvariantCulture, out var l)
                    ? l : throw Bad(key, "an integer or a list whose first entry is one");
            return Long(key);
        }
    }
}
