// Port of SinSR's distillation training loss.
// Source: wyf0912/SinSR @ f1735490e980162435391162ddd18c0642327c5b (read at f5552bba, same functions),
//         models/gaussian_diffusion.py (GaussianDiffusion.training_losses_distill, encode_first_stage, prior_sample,
//         ddim_sample_loop), models/respace.py (SpacedDiffusion), trainer.py (TrainerDistillDifIR.training_step with
//         configs/SinSR.yaml: learn_xT, finetune_use_gt=1, distill_ddpm/uncertainty_hyper/xT_cov_loss/loss_in_image_space off,
//         t = T−1 for every sample).
// Paper: Wang et al., "SinSR: Diffusion-Based Image Super-Resolution in a Single Step", CVPR 2024: Eq. (9) (distillation
//        from the deterministic teacher ODE), Eq. (10)-(11) (learning the inverse x_0 → x_T and the consistency-preserving loss).
using HfDiff.Torch.Pipelines;
using HfDiff.Torch.Samplers;
using HfDiff.Torch.Schedules;
using TorchSharp;
using static TorchSharp.torch;

namespace HfDiff.Torch.Losses.Distillation;

/// <summary>
/// SinSR's one-step distillation loss for a batch (gt, lq) in [−1, 1]:
/// <list type="number">
/// <item>z_y = s·E(bicubic_sf(lq)), z_0^gt = s·E(gt) (frozen encoder, no grad); z_T = z_y + κ√η_{T−1} ε.</item>
/// <item>z_0^teacher = deterministic DDIM chain of the frozen teacher from z_T (T steps, no grad).</item>
/// <item>Student S (d = input divisor at T−1 for every call):
///   mse = mean((z_0^teacher − S(z_T/d, T−1))²); mse_xT = mean((z_T − S(z_0^teacher/d, 0))²);
///   x̂_T = S(z_0^gt/d, 0) (no grad); mse_gt = mean((z_0^gt − S(x̂_T/d, T−1))²).</item>
/// <item>loss = mse·w + mse_xT + mse_gt·finetune_use_gt per sample; the trainer back-propagates its batch mean.</item>
/// </list>
/// Put the student in train mode and the teacher/encoder in eval mode (and frozen) before calling, as the trainer does.
/// </summary>
public sealed class SinSrDistillationLoss
{
    readonly SinSrDdimSampler _teacherSampler;

    public SinSrDistillationLoss(ResShiftSchedule schedule, SinSrDistillationLossOptions? options = null)
    {
        Schedule = schedule ?? throw new ArgumentNullException(nameof(schedule));
        Options = options ?? new SinSrDistillationLossOptions();
        Options.Validate();
        if (schedule.Options.PredictType != ResShiftPredictType.XStart)
            throw new ArgumentOutOfRangeException(nameof(schedule), schedule.Options.PredictType,
                $"The distillation loss is ported for predict_type xstart only (SinSR.yaml); got {schedule.Options.PredictType}.");
        // clip_denoised = (first_stage_model is None) = False in latent space.
        _teacherSampler = new SinSrDdimSampler(schedule, new SinSrDdimSamplerOptions { ClipDenoised = false });
    }

    public ResShiftSchedule Schedule { get; }
    public SinSrDistillationLossOptions Options { get; }

    /// <summary>The student's (and the prior's) timestep index, T−1 (<c>use_reflow</c> off).</summary>
    public int StudentTimestep => Schedule.NumTimesteps - 1;

    /// <summary>
    /// Computes every term for one batch. Run with gradients enabled; <see cref="SinSrDistillationResult.Total"/> then has a graph
    /// to the student's parameters only (teacher chain and encoder run under no_grad).
    /// </summary>
    /// <param name="gt">(B, 3, sf·h·f, sf·w·f) float32 HR image in [−1, 1] (float64 with float64 networks gives a precision reference).</param>
    /// <param name="lq">(B, 3, H_lq, W_lq) float32 LR image in [−1, 1]; also the networks' <c>lq</c> conditioning.</param>
    /// <param name="student">The student network (<c>UNetModelSwin.Forward</c>), called 3–4 times.</param>
    /// <param name="teacher">The frozen teacher network, called T times.</param>
    /// <param name="encoder">The frozen first-stage encoder.</param>
    /// <param name="noise">Source of the single ε draw (shape of z_y); null = <c>torch.randn_like</c>.</param>
    /// <param name="extraTerms">Optional terms added to the total after the reference loss (e.g. HF-Diff losses).</param>
    /// <param name="earlyBackwardScale">
    /// Null (default): the reference's single backward; <see cref="SinSrDistillationResult.Total"/> carries the graphs of every
    /// student call. Set (the factor the caller applies to Total before its backward, e.g. 1 / number of microbatches): a
    /// lower-memory order. The inverse and consistency calls run first, and each of their terms is back-propagated
    /// (batch mean × weight × this scale) as soon as it is formed, which frees that call's graph; the distillation call runs
    /// last and Total keeps a graph through it and the extra terms only. At most one student graph is then alive (plus the
    /// extra terms'). Every value is the same as in the reference order; gradients accumulate in another order (float
    /// rounding), and with dropout > 0 the calls would draw their masks in the other order.
    /// </param>
    /// <param name="extraTermsFirst">
    /// With <paramref name="earlyBackwardScale"/>: the extra terms run before the distillation call's graph exists, so their
    /// activations (decoder, DINOv2) and the student's are never alive together. The distillation call runs once without
    /// gradients; the extra terms see that output as a leaf (<see cref="SinSrDistillationResult.PredZStart"/>) and give
    /// g = ∂(Σ weight · term)/∂z_0; then the call runs again with its graph, and Total carries ⟨z_0, g⟩ − ⟨z_0, g⟩.detach()
    /// (value 0) for their gradient. Costs one more student forward. The extra terms' values come from the first run, which
    /// equals the second up to float rounding (kernels chosen for inference); their entries in
    /// <see cref="SinSrDistillationResult.ExtraTerms"/> have no graph. Needs a student without dropout (the two runs must agree).
    /// </param>
    public SinSrDistillationResult Compute(Tensor gt, Tensor lq, LatentDenoiser student, LatentDenoiser teacher, LatentEncoder encoder,
                                           INoiseSource? noise = null, IReadOnlyList<DistillationExtraTerm>? extraTerms = null,
                                           double? earlyBackwardScale = null, bool extraTermsFirst = false)
    {
        CheckArguments(gt, lq, student, teacher, encoder, extraTerms);
        if (earlyBackwardScale is double s && (!(s > 0) || double.IsInfinity(s)))
            throw new ArgumentOutOfRangeException(nameof(earlyBackwardScale), s, "The early-backward scale must be finite and > 0.");
        if (extraTermsFirst && earlyBackwardScale is null)
            throw new ArgumentException("extraTermsFirst needs the early-backward order (earlyBackwardScale).", nameof(extraTermsFirst));
        using var scope = NewDisposeScope();
        var latents = SampleLatents(gt, lq, encoder, noise);
        var chain = RunTeacherChain(latents.ZT, latents.ZY, lq, teacher);
        var students = new StudentCaller(Schedule, student, lq, ResShiftSchedule.TimestepTensor(StudentTimestep, gt.shape[0], latents.ZY.device));
        PrecomputedExtraTerms? precomputed = null;
        Action<EarlyTerms>? beforeDistillation = extraTermsFirst && extraTerms is { Count: > 0 }
            ? early => precomputed = PrecomputeExtraTerms(gt, lq, latents, chain, students, early, extraTerms)
            : null;
        var terms = earlyBackwardScale is double scale
            ? ReferenceTermsEarlyBackward(students, latents.ZT, chain.ZStart, latents.ZStartGt, scale, beforeDistillation)
            : ReferenceTerms(students, latents.ZT, chain.ZStart, latents.ZStartGt);
        var result = CollectResult(gt, lq, latents, chain, students.Calls, terms);
        return extraTerms is null || extraTerms.Count == 0 ? result : AddExtraTerms(result, extraTerms, precomputed);
    }

    static void CheckArguments(Tensor gt, Tensor lq, LatentDenoiser student, LatentDenoiser teacher, LatentEncoder encoder,
                               IReadOnlyList<DistillationExtraTerm>? extraTerms)
    {
        CheckImage(gt, nameof(gt));
        CheckImage(lq, nameof(lq));
        if (gt.shape[0] != lq.shape[0])
            throw new ArgumentException($"gt and lq must have the same batch size; got {gt.shape[0]} and {lq.shape[0]}.", nameof(lq));
        if (gt.dtype != lq.dtype)
            throw new ArgumentException($"gt must be float32 like lq (or both float64 for a precision reference); got gt {gt.dtype}, lq {lq.dtype}.", nameof(gt));
        ArgumentNullException.ThrowIfNull(student);
        ArgumentNullException.ThrowIfNull(teacher);
        ArgumentNullException.ThrowIfNull(encoder);
        if (extraTerms is null) return;
        var dup = extraTerms.GroupBy(e => e.Name, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1);
        if (dup is not null) throw new ArgumentException($"Extra term name '{dup.Key}' is used more than once.", nameof(extraTerms));
        foreach (var e in extraTerms)
            if (!(e.Weight >= 0) || double.IsInfinity(e.Weight))
                throw new ArgumentOutOfRangeException(nameof(extraTerms), e.Weight, $"Extra term '{e.Name}': weight must be finite and >= 0; got {e.Weight}.");
    }

    /// <summary>z_y and z_0^gt from the encoder, then the single ε draw and the prior sample z_T = z_y + κ√η_{T−1} ε.</summary>
    Latents SampleLatents(Tensor gt, Tensor lq, LatentEncoder encoder, INoiseSource? noise)
    {
        var (zY, zStartGt) = EncodeLatents(gt, lq, encoder);
        var eps = noise is null ? randn_like(zY) : noise.RandnLike(zY);
        return new Latents(zY, zStartGt, eps, Schedule.PriorSample(zY, eps));
    }

    /// <summary><c>encode_first_stage</c> under no_grad: z_y from the LR image bicubic-upsampled by sf, z_0^gt from GT as is,
    /// both × scale_factor.</summary>
    (Tensor ZY, Tensor ZStartGt) EncodeLatents(Tensor gt, Tensor lq, LatentEncoder encoder)
    {
        double scale = Schedule.Options.ScaleFactor;
        Tensor zY, zStartGt;
        using (no_grad())
        {
            zY = encoder(LatentSrPipeline.Upsample(lq, Schedule.Options.Sf));
            zStartGt = encoder(gt);
            if (scale != 1.0) { zY = zY * scale; zStartGt = zStartGt * scale; }
        }
        if (!zY.shape.SequenceEqual(zStartGt.shape))
            throw new ArgumentException(
                $"gt {gt.shape[2]}x{gt.shape[3]} must be sf={Schedule.Options.Sf} times lq {lq.shape[2]}x{lq.shape[3]}: their latents are " +
                $"[{string.Join(", ", zStartGt.shape)}] and [{string.Join(", ", zY.shape)}].", nameof(gt));
        return (zY, zStartGt);
    }

    /// <summary>The teacher's deterministic DDIM chain from z_T (the reference's ddim_sample_loop re-encodes the same z_y),
    /// keeping x̂_0 and the state of every step.</summary>
    TeacherChain RunTeacherChain(Tensor zT, Tensor zY, Tensor lq, LatentDenoiser teacher)
    {
        var preds = new List<Tensor>();
        var states = new List<Tensor>();
        Tensor zStartTeacher;
        try
        {
            zStartTeacher = _teacherSampler.SampleFrom(zT, zY, lq, teacher, (_, step) =>
            {
                preds.Add(step.PredXStart.detach().clone().DetachFromDisposeScope());
                states.Add(step.PrevSample.detach().clone().DetachFromDisposeScope());
            });
        }
        catch
        {
            foreach (var t in preds.Concat(states)) t.Dispose();
            throw;
        }
        var chain = new TeacherChain(zStartTeacher, stack(preds), stack(states));
        foreach (var t in preds.Concat(states)) t.Dispose();
        return chain;
    }

    /// <summary>The reference's per-sample loss: distillation term, then the inverse (learn x_T) and consistency (GT) terms
    /// when enabled, in the reference's student-call order.</summary>
    ReferenceLossTerms ReferenceTerms(StudentCaller students, Tensor zT, Tensor zStartTeacher, Tensor zStartGt)
    {
        var lossMse = DistillationTerm(students, zT, zStartTeacher);
        var loss = lossMse.alias();

        Tensor? lossXT = null;
        if (Options.LearnXT)
        {
            lossXT = InverseTerm(students, zStartTeacher, zT);
            loss = loss + (Options.LearnXTWeight != 1.0 ? lossXT * Options.LearnXTWeight : lossXT);
        }

        Tensor? lossGt = null;
        if (Options.FinetuneUseGt > 0)
        {
            lossGt = ConsistencyTerm(students, zStartGt);
            loss = loss + lossGt * Options.FinetuneUseGt;
        }
        return new ReferenceLossTerms(lossMse, lossXT, lossGt, loss, loss.mean());
    }

    /// <summary>
    /// The same per-sample loss in the lower-memory order: the inverse term, then the consistency term, each back-propagated
    /// (mean × weight × <paramref name="scale"/>) and detached at once, then the distillation term, which keeps its graph.
    /// The sum is formed as in <see cref="ReferenceTerms"/>, so every value is bit-identical to it.
    /// </summary>
    /// <param name="beforeDistillation">Called with the early terms before the distillation call.</param>
    ReferenceLossTerms ReferenceTermsEarlyBackward(StudentCaller students, Tensor zT, Tensor zStartTeacher, Tensor zStartGt, double scale,
                                                   Action<EarlyTerms>? beforeDistillation = null)
    {
        Tensor? lossXT = null, weightedXT = null;
        if (Options.LearnXT)
        {
            var withGraph = InverseTerm(students, zStartTeacher, zT);
            var weighted = Options.LearnXTWeight != 1.0 ? withGraph * Options.LearnXTWeight : withGraph;
            (weighted.mean() * scale).backward();
            lossXT = withGraph.detach();
            weightedXT = weighted.detach();
        }

        Tensor? lossGt = null;
        if (Options.FinetuneUseGt > 0)
        {
            var withGraph = ConsistencyTerm(students, zStartGt);
            (withGraph * Options.FinetuneUseGt).mean().mul(scale).backward();
            lossGt = withGraph.detach();
        }

        var early = new EarlyTerms(lossXT, weightedXT, lossGt);
        beforeDistillation?.Invoke(early);
        return SumTerms(DistillationTerm(students, zT, zStartTeacher), early);
    }

    /// <summary>The per-sample loss of the early order, summed as in <see cref="ReferenceTerms"/>: mse + weighted mse_xT +
    /// mse_gt · finetune_use_gt.</summary>
    ReferenceLossTerms SumTerms(Tensor lossMse, EarlyTerms early)
    {
        var loss = lossMse.alias();
        if (early.WeightedMseXT is not null) loss = loss + early.WeightedMseXT;
        if (early.MseGt is not null) loss = loss + early.MseGt * Options.FinetuneUseGt;
        return new ReferenceLossTerms(lossMse, early.MseXT, early.MseGt, loss, loss.mean());
    }

    /// <summary>Eq. (9): mean((z_0^teacher − S(z_T, T−1))²), START_X target; weighted by weight_loss_mse[t] only for
    /// WEIGHTED_MSE, then by the distillation weight.</summary>
    Tensor DistillationTerm(StudentCaller students, Tensor zT, Tensor zStartTeacher) =>
        DistillationMse(students.Call(SinSrStudentCallRole.PredictFromPrior, zT, students.TStudent, withGrad: true), students.TStudent, zStartTeacher);

    Tensor DistillationMse(Tensor out0, Tensor tStudent, Tensor zStartTeacher)
    {
        var lossMse = MeanFlat((zStartTeacher - out0).square());
        if (Schedule.Options.WeightedMse) lossMse = lossMse * ResShiftSchedule.Extract(Schedule.WeightLossMse, tStudent, 1);
        if (Options.DistillWeight != 1.0) lossMse = lossMse * Options.DistillWeight;
        return lossMse;
    }

    /// <summary>
    /// <c>extraTermsFirst</c>: the distillation call without graph (not recorded), then every extra term on a result whose
    /// <see cref="SinSrDistillationResult.PredZStart"/> is that output as a leaf and whose reference terms are the early terms
    /// plus the distillation term of that output (no graph). Returns the values (detached) and g = ∂(Σ weight · term)/∂z_0.
    /// Everything else it made is freed before the distillation call builds its graph.
    /// </summary>
    PrecomputedExtraTerms PrecomputeExtraTerms(Tensor gt, Tensor lq, Latents latents, TeacherChain chain, StudentCaller students,
                                               EarlyTerms early, IReadOnlyList<DistillationExtraTerm> extraTerms)
    {
        using var scope = NewDisposeScope();
        var (input, output) = students.Preview(SinSrStudentCallRole.PredictFromPrior, latents.ZT, students.TStudent);
        var leaf = output.detach().requires_grad_(true);
        ReferenceLossTerms terms;
        using (no_grad()) terms = SumTerms(DistillationMse(leaf, students.TStudent, chain.ZStart), early);
        var calls = students.Calls.Select(c => c with { Input = c.Input.alias(), Timesteps = c.Timesteps.alias(), Output = c.Output.alias() })
            .Append(new SinSrStudentCall(SinSrStudentCallRole.PredictFromPrior, input, students.TStudent.alias(), leaf, WithGrad: true));
        using var provisional = new SinSrDistillationResult
        {
            Gt = gt.alias(), Lq = lq.alias(), ZY = latents.ZY.alias(), ZStartGt = latents.ZStartGt.alias(), Noise = latents.Noise.alias(),
            ZT = latents.ZT.alias(), TeacherTimesteps = _teacherSampler.Timesteps, TeacherPredX0 = chain.PredX0.alias(),
            TeacherStates = chain.States.alias(), ZStartTeacher = chain.ZStart.alias(), StudentTimestep = StudentTimestep,
            StudentCalls = calls.OrderBy(c => c.Role).ToList(),
            LossMse = terms.Mse, LossMseXT = terms.MseXT?.alias(), LossMseGt = terms.MseGt?.alias(), LossPerSample = terms.PerSample,
            ReferenceLoss = terms.Mean,
        };
        provisional.Total = provisional.ReferenceLoss.alias();
        var values = new List<Tensor>();
        Tensor? weighted = null;
        foreach (var term in extraTerms)
        {
            var value = ExtraTermValue(term, provisional);
            values.Add(value.detach().MoveToOuterDisposeScope());
            if (term.Weight > 0 && value.requires_grad) weighted = weighted is null ? value * term.Weight : weighted + value * term.Weight;
        }
        var gradient = weighted is null ? null : torch.autograd.grad([weighted], [leaf])[0];
        return new PrecomputedExtraTerms(values, gradient?.MoveToOuterDisposeScope());
    }

    /// <summary>Learning the inverse x_0 → x_T: mean((z_T − S(z_0^teacher, 0))²), before its weight.</summary>
    static Tensor InverseTerm(StudentCaller students, Tensor zStartTeacher, Tensor zT)
    {
        var out1 = students.Call(SinSrStudentCallRole.InverseOfTeacher, zStartTeacher, students.TZero, withGrad: true);
        return MeanFlat((zT - out1).square());
    }

    /// <summary>Consistency preserving: x̂_T = S(z_0^gt, 0) without grad, then mean((z_0^gt − S(x̂_T, T−1))²), before its
    /// weight (finetune_use_gt).</summary>
    static Tensor ConsistencyTerm(StudentCaller students, Tensor zStartGt)
    {
        var out2 = students.Call(SinSrStudentCallRole.InverseOfGt, zStartGt, students.TZero, withGrad: false);
        var out3 = students.Call(SinSrStudentCallRole.PredictFromGtInverse, out2.detach(), students.TStudent, withGrad: true);
        return MeanFlat((zStartGt - out3).square());
    }

    /// <summary>Moves every tensor of the step results into one <see cref="SinSrDistillationResult"/> (out of Compute's scope);
    /// its total is the reference loss until extra terms are added.</summary>
    SinSrDistillationResult CollectResult(Tensor gt, Tensor lq, Latents latents, TeacherChain chain,
                                          IReadOnlyList<SinSrStudentCall> calls, ReferenceLossTerms terms)
    {
        var result = new SinSrDistillationResult
        {
            Gt = gt.alias().MoveToOuterDisposeScope(),
            Lq = lq.alias().MoveToOuterDisposeScope(),
            ZY = latents.ZY.MoveToOuterDisposeScope(),
            ZStartGt = latents.ZStartGt.MoveToOuterDisposeScope(),
            Noise = latents.Noise.MoveToOuterDisposeScope(),
            ZT = latents.ZT.MoveToOuterDisposeScope(),
            TeacherTimesteps = _teacherSampler.Timesteps,
            TeacherPredX0 = chain.PredX0.MoveToOuterDisposeScope(),
            TeacherStates = chain.States.MoveToOuterDisposeScope(),
            ZStartTeacher = chain.ZStart.MoveToOuterDisposeScope(),
            StudentTimestep = StudentTimestep,
            StudentCalls = calls.OrderBy(c => c.Role).Select(c => c with
            {
                Input = c.Input.MoveToOuterDisposeScope(),
                Timesteps = c.Timesteps.MoveToOuterDisposeScope(),
                Output = c.Output.MoveToOuterDisposeScope(),
            }).ToList(),
            LossMse = terms.Mse.MoveToOuterDisposeScope(),
            LossMseXT = terms.MseXT?.MoveToOuterDisposeScope(),
            LossMseGt = terms.MseGt?.MoveToOuterDisposeScope(),
            LossPerSample = terms.PerSample.MoveToOuterDisposeScope(),
            ReferenceLoss = terms.Mean.MoveToOuterDisposeScope(),
        };
        result.Total = result.ReferenceLoss.alias().MoveToOuterDisposeScope();
        return result;
    }

    /// <summary>Adds each extra term's value (checked to be a scalar) times its weight to the total; disposes the result if
    /// a term fails. With <paramref name="precomputed"/> (<c>extraTermsFirst</c>) its values are used instead, and the total
    /// also gets ⟨z_0, g⟩ − ⟨z_0, g⟩.detach() (exactly 0) to carry their gradient through the distillation call's graph.</summary>
    static SinSrDistillationResult AddExtraTerms(SinSrDistillationResult result, IReadOnlyList<DistillationExtraTerm> extraTerms,
                                                 PrecomputedExtraTerms? precomputed = null)
    {
        try
        {
            var total = result.ReferenceLoss.alias();
            for (int i = 0; i < extraTerms.Count; i++)
            {
                var value = precomputed?.Values[i] ?? ExtraTermValue(extraTerms[i], result);
                result.AddExtraTerm(extraTerms[i].Name, value.MoveToOuterDisposeScope());
                total = total + value * extraTerms[i].Weight;
            }
            if (precomputed?.Gradient is { } g)
            {
                var surrogate = (result.PredZStart * g).sum();
                total = total + (surrogate - surrogate.detach());
            }
            result.Total.Dispose();
            result.Total = total.MoveToOuterDisposeScope();
            return result;
        }
        catch
        {
            result.Dispose();
            throw;
        }
    }

    /// <summary>One extra term's value, checked to be a scalar and returned 0-dim.</summary>
    static Tensor ExtraTermValue(DistillationExtraTerm term, SinSrDistillationResult result)
    {
        var value = term.Compute(result) ?? throw new InvalidOperationException($"Extra term '{term.Name}' returned null.");
        if (value.numel() != 1)
            throw new InvalidOperationException($"Extra term '{term.Name}' must return a scalar; got shape [{string.Join(", ", value.shape)}].");
        return value.reshape(Array.Empty<long>());
    }

    static Tensor CheckedCall(LatentDenoiser net, Tensor input, Tensor t, Tensor lq, SinSrStudentCallRole role)
    {
        var output = net(input, t, lq) ?? throw new InvalidOperationException($"The student returned null ({role}).");
        if (!output.shape.SequenceEqual(input.shape))
            throw new InvalidOperationException(
                $"The student returned shape [{string.Join(", ", output.shape)}] for input [{string.Join(", ", input.shape)}] ({role}); they must match.");
        return output;
    }

    /// <summary><c>mean_flat</c>: mean over all non-batch dimensions → (B,).</summary>
    static Tensor MeanFlat(Tensor x) => x.mean(Enumerable.Range(1, (int)x.dim() - 1).Select(i => (long)i).ToArray());

    static void CheckImage(Tensor x, string name)
    {
        ArgumentNullException.ThrowIfNull(x, name);
        if (x.dim() != 4)
            throw new ArgumentException($"{name} must be a (B, C, H, W) image batch; got {x.dim()} dims [{string.Join(", ", x.shape)}].", name);
        if (x.dtype != ScalarType.Float32 && x.dtype != ScalarType.Float64)
            throw new ArgumentException($"{name} must be float32 (or float64 for precision references) in [-1, 1]; got {x.dtype}.", name);
    }

    /// <summary>z_y, z_0^gt (encoder, no graph), the ε draw and the prior sample z_T.</summary>
    sealed record Latents(Tensor ZY, Tensor ZStartGt, Tensor Noise, Tensor ZT);

    /// <summary>z_0^teacher and, per DDIM step, the teacher's x̂_0 and the state after the step, (T, B, C, h, w).</summary>
    sealed record TeacherChain(Tensor ZStart, Tensor PredX0, Tensor States);

    /// <summary>The per-sample terms (null when the options skip them), their weighted sum and its batch mean.</summary>
    sealed record ReferenceLossTerms(Tensor Mse, Tensor? MseXT, Tensor? MseGt, Tensor PerSample, Tensor Mean);

    /// <summary>The early order's detached inverse and consistency terms (null when the options skip them); WeightedMseXT is
    /// mse_xT times its weight.</summary>
    sealed record EarlyTerms(Tensor? MseXT, Tensor? WeightedMseXT, Tensor? MseGt);

    /// <summary>The extra terms' values in their order (no graph) and g = ∂(Σ weight · term)/∂z_0 (null when no term has a
    /// gradient).</summary>
    sealed record PrecomputedExtraTerms(IReadOnlyList<Tensor> Values, Tensor? Gradient);

    /// <summary>The student forwards of one batch, recorded in call order.</summary>
    sealed class StudentCaller(ResShiftSchedule schedule, LatentDenoiser student, Tensor lq, Tensor tStudent)
    {
        /// <summary>T−1 for every sample.</summary>
        public Tensor TStudent { get; } = tStudent;
        /// <summary>0 for every sample (the inverse calls' conditioning).</summary>
        public Tensor TZero { get; } = tStudent * 0;
        public List<SinSrStudentCall> Calls { get; } = [];

        // PORT-QUIRK(SinSR, models/respace.py): SpacedDiffusion does not wrap the student in training_losses_distill, so the
        // student gets the respaced index itself (the teacher chain gets timestep_map[t]); identical without respacing.
        public Tensor Call(SinSrStudentCallRole role, Tensor x, Tensor tModel, bool withGrad)
        {
            // PORT-QUIRK(SinSR, models/gaussian_diffusion.py): every input is scaled with t = T−1 (_scale_input(·, t)), also
            // for the calls conditioned on t = 0 (t*0); kept because the released student was trained this way.
            var input = schedule.ScaleInput(x, TStudent);
            Tensor output;
            if (withGrad) output = CheckedCall(student, input, tModel, lq, role);
            else using (no_grad()) output = CheckedCall(student, input, tModel, lq, role);
            Calls.Add(new SinSrStudentCall(role, input, tModel.alias(), output, withGrad));   // own handle per call
            return output;
        }

        /// <summary>The same call without gradients and without recording it: (scaled input, output).</summary>
        public (Tensor Input, Tensor Output) Preview(SinSrStudentCallRole role, Tensor x, Tensor tModel)
        {
            var input = schedule.ScaleInput(x, TStudent);
            using (no_grad()) return (input, CheckedCall(student, input, tModel, lq, role));
        }
    }
}
