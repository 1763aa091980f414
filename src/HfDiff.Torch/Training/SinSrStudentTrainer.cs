// The SinSR one-step student trainer (distillation from a frozen ResShift teacher).
// Source: wyf0912/SinSR @ f1735490e980162435391162ddd18c0642327c5b, trainer.py (TrainerDistillDifIR.build_model,
//         training_step; TrainerDifIR.update_ema_model, adjust_lr), configs/SinSR.yaml.
// Paper: Wang et al., "SinSR: Diffusion-Based Image Super-Resolution in a Single Step", CVPR 2024.
using System.Globalization;
using System.Text.Json;
using HfDiff.Torch.Archs.ResShift;
using HfDiff.Torch.Losses.Distillation;
using HfDiff.Torch.Pipelines;
using HfDiff.Torch.Samplers;
using HfDiff.Torch.Schedules;
using HfDiff.Torch.Training.Core;
using HfDiff.Torch.Training.HfDiff;
using TorchSharp;
using static TorchSharp.torch;

namespace HfDiff.Torch.Training;

/// <summary>
/// The objective of SinSR's <c>TrainerDistillDifIR</c>: for each microbatch, t = T−1 for every row and the official
/// distillation loss (<see cref="SinSrDistillationLoss"/>: teacher DDIM chain, learn-x_T and GT terms) plus any extra
/// terms; the loop back-propagates <c>losses['loss'].mean() / nacc</c>. The EMA averages every key except
/// <c>relative_position_index</c>. Run it with <see cref="Train"/> or a <see cref="TrainingLoop"/>.
/// </summary>
public sealed class SinSrStudentTrainer : IPartialBackwardObjective, IDisposable
{
    HfDiffExtraTerms? _ownedTerms;
    ImageTermDecoder? _ownedDecoder;
    readonly LatentDenoiser _studentForward, _teacher;
    readonly LatentEncoder _encoder;
    readonly IReadOnlyList<nn.Module> _frozen;
    readonly SinSrDistillationLoss _loss;

    /// <param name="student">The network trained (its parameters, buffers and state-dict keys).</param>
    /// <param name="studentForward">Its forward with gradients (<c>(x, t, lq) => unet.Forward(x, t, lq)</c>).</param>
    /// <param name="teacher">The frozen teacher's forward (no gradients needed).</param>
    /// <param name="encoder">The frozen first-stage encoder.</param>
    /// <param name="schedule">The diffusion of the teacher (official <c>diffusion:</c> section).</param>
    /// <param name="options">Distillation flags and extra terms.</param>
    /// <param name="frozenModules">Networks to keep in eval mode (teacher, autoencoder, extra-term networks).</param>
    public SinSrStudentTrainer(nn.Module student, LatentDenoiser studentForward, LatentDenoiser teacher, LatentEncoder encoder,
                               ResShiftSchedule schedule, SinSrStudentTrainerOptions? options = null, IEnumerable<nn.Module>? frozenModules = null)
    {
        Model = student ?? throw new ArgumentNullException(nameof(student));
        _studentForward = studentForward ?? throw new ArgumentNullException(nameof(studentForward));
        _teacher = teacher ?? throw new ArgumentNullException(nameof(teacher));
        _encoder = encoder ?? throw new ArgumentNullException(nameof(encoder));
        Schedule = schedule ?? throw new ArgumentNullException(nameof(schedule));
        Options = options ?? new SinSrStudentTrainerOptions();
        _loss = new SinSrDistillationLoss(schedule, Options.Loss);   // validates the flags
        if (Options.ExtraTermsFirst && !Options.EarlyBackward)
            throw new ArgumentException("ExtraTermsFirst (hfdiff.extra_terms_first) needs EarlyBackward (hfdiff.early_backward: true).", nameof(options));
        _frozen = frozenModules?.ToList() ?? [];
        var terms = new List<string> { "loss", "mse" };
        if (Options.Loss.LearnXT) terms.Add("mse_xT");
        if (Options.Loss.FinetuneUseGt > 0) terms.Add("mse_gt");
        foreach (var e in Options.ExtraTerms)
        {
            if (terms.Contains(e.Name, StringComparer.Ordinal) || e.Name == TrainingProgress.TotalTerm) throw new ArgumentException($"Extra term name '{e.Name}' is used twice or clashes with a reference term.", nameof(options));
            terms.Add(e.Name);
        }
        // "loss" is the official key (the reference loss); with extra terms, "total" is what is back-propagated.
        if (Options.ExtraTerms.Count > 0) terms.Add(TrainingProgress.TotalTerm);
        TermNames = terms;
        Settings = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["learn_xT"] = Options.Loss.LearnXT ? "true" : "false",
            ["finetune_use_gt"] = Options.Loss.FinetuneUseGt.ToString("R", CultureInfo.InvariantCulture),
            ["distill_weight"] = Options.Loss.DistillWeight.ToString("R", CultureInfo.InvariantCulture),
            ["learn_xT_weight"] = Options.Loss.LearnXTWeight.ToString("R", CultureInfo.InvariantCulture),
            ["extra_terms"] = string.Join(";", Options.ExtraTerms.Select(e => string.Create(CultureInfo.InvariantCulture, $"{e.Name}={e.Weight:R}"))),
            ["diffusion"] = JsonSerializer.Serialize(schedule.Options),
        };
        // Only when set, so that checkpoints of runs without them keep their fingerprint.
        if (Options.EarlyBackward) ((Dictionary<string, string>)Settings)["early_backward"] = "true";
        if (Options.ExtraTermsFirst) ((Dictionary<string, string>)Settings)["extra_terms_first"] = "true";
        if (Options.HfDiff.Terms != HfDiffLossTerms.None)
            ((Dictionary<string, string>)Settings)["hfdiff"] = string.Create(CultureInfo.InvariantCulture,
                $"{HfDiffAblation.Format(Options.HfDiff.Terms)};hf_domain={Options.HfDiff.HighFrequencyDomain};dinov2={Options.HfDiff.Dinov2Model};dm_temperature={Options.HfDiff.DistributionMatchingTemperature:R};lpips_net={Options.HfDiff.LpipsNet}")
                + (Options.HfDiff.ImageChunk > 0 ? string.Create(CultureInfo.InvariantCulture, $";image_chunk={Options.HfDiff.ImageChunk}") : "")
                + (Options.HfDiff.TermPrecision != HfDiffTermPrecision.Fp32 ? $";term_precision={Options.HfDiff.TermPrecision.ToString().ToLowerInvariant()}" : "");
    }

    /// <summary>
    /// The official setup: student trained, teacher UNet and VQ autoencoder frozen (eval, no gradients), plus the HF-Diff
    /// terms of <see cref="SinSrStudentTrainerOptions.HfDiff"/>: built on <paramref name="hfDiffNetworks"/> when given (not
    /// disposed), else loaded from the weight files (missing ones fail here, before training; disposed with the trainer).
    /// Image-domain terms decode through the frozen VQ with gradients (<c>Decode(z / scale_factor)</c>, quantized
    /// straight-through as <c>decode_first_stage</c>).
    /// </summary>
    public static SinSrStudentTrainer Create(UNetModelSwin student, UNetModelSwin teacher, VQModelTorch autoencoder, ResShiftSchedule schedule,
                                             SinSrStudentTrainerOptions? options = null, HfDiffLossNetworks? hfDiffNetworks = null)
    {
        ArgumentNullException.ThrowIfNull(student);
        ArgumentNullException.ThrowIfNull(teacher);
        ArgumentNullException.ThrowIfNull(autoencoder);
        ArgumentNullException.ThrowIfNull(schedule);
        options ??= new SinSrStudentTrainerOptions();
        FrozenModules.Freeze(teacher);
        FrozenModules.Freeze(autoencoder);
        HfDiffExtraTerms? terms = null;
        ImageTermDecoder? decoder = null;
        if (options.HfDiff.Terms != HfDiffLossTerms.None)
        {
            decoder = new ImageTermDecoder(autoencoder, schedule.Options.ScaleFactor, options.HfDiff.TermPrecision);
            try
            {
                var device = student.parameters().First().device;
                terms = hfDiffNetworks is not null
                    ? new HfDiffExtraTerms(options.HfDiff, hfDiffNetworks, decoder.AsDecoder(), tracingDecoder: decoder.AsTracingDecoder())
                    : HfDiffExtraTerms.Load(options.HfDiff, decoder.AsDecoder(), Assets.ModelDirectory.Resolve(options.ModelDirectory), device.ToString(), decoder.AsTracingDecoder());
            }
            catch { decoder.Dispose(); throw; }
            options = options with { ExtraTerms = [.. options.ExtraTerms, .. terms.Terms] };
        }
        try
        {
            return new SinSrStudentTrainer(student, (x, t, lq) => student.Forward(x, t, lq), new UNetLatentDenoiser(teacher).AsDelegate(),
                                           autoencoder.Encode, schedule, options, [teacher, autoencoder, .. terms?.Networks ?? []]) { _ownedTerms = terms, _ownedDecoder = decoder };
        }
        catch { terms?.Dispose(); decoder?.Dispose(); throw; }
    }

    public string Kind => "sinsr-student";
    public nn.Module Model { get; }
    public EmaKeyRule EmaRule => EmaKeyRule.SinSr;
    public IReadOnlyList<string> TermNames { get; }
    public IReadOnlyDictionary<string, string> Settings { get; }
    public ResShiftSchedule Schedule { get; }
    public SinSrStudentTrainerOptions Options { get; }

    /// <inheritdoc/>
    public double LossScale { private get; set; } = 1.0;

    public void PrepareForTraining()
    {
        Model.train();
        foreach (var m in _frozen) m.eval();
    }

    public TrainingMicrobatchResult Compute(Tensor gt, Tensor lq, INoiseSource noise, ITimestepSource timesteps)
    {
        // PORT-QUIRK(SinSR, trainer.py): training_step draws tt = randint(0, T) and then overwrites it with T−1 (use_reflow
        // off); the draw only advances the global RNG, so it is not made here.
        using var r = _loss.Compute(gt, lq, _studentForward, _teacher, _encoder, noise, Options.ExtraTerms,
                                    Options.EarlyBackward ? LossScale : null, Options.ExtraTermsFirst);
        var terms = new Dictionary<string, Tensor>(StringComparer.Ordinal)
        {
            ["loss"] = r.LossPerSample.detach().clone(),
            ["mse"] = r.LossMse.detach().clone(),
        };
        if (r.LossMseXT is not null) terms["mse_xT"] = r.LossMseXT.detach().clone();
        if (r.LossMseGt is not null) terms["mse_gt"] = r.LossMseGt.detach().clone();
        foreach (var (name, value) in r.ExtraTerms) terms[name] = value.detach().clone();
        if (Options.ExtraTerms.Count > 0) terms[TrainingProgress.TotalTerm] = r.Total.detach().clone();
        var outputs = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        if (Options.ReportPredictions) outputs["pred_zstart"] = r.PredZStart.detach().clone();
        return new TrainingMicrobatchResult(r.Total.alias(), terms, outputs);
    }

    /// <summary>Releases the HF-Diff networks <see cref="Create"/> loaded.</summary>
    public void Dispose()
    {
        _ownedTerms?.Dispose();
        _ownedTerms = null;
        _ownedDecoder?.Dispose();
        _ownedDecoder = null;
    }

    /// <summary>Trains with <paramref name="loop"/> settings (AdamW, lr schedule, EMA, checkpoints) on <paramref name="data"/>.</summary>
    public TrainingResult Train(ITrainingBatchSource data, TrainingLoopOptions loop, TrainingRunHooks? hooks = null)
    {
        using var runner = new TrainingLoop(this, loop);
        return runner.Run(data, hooks);
    }
}
