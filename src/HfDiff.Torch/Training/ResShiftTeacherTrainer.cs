// The ResShift denoiser trainer (the SinSR teacher).
// Source: zsyOAOA/ResShift @ 3ce1d81e8402fd50083809ae288a3977f6921bdd, trainer.py (TrainerDifIR.training_step, backward_step,
//         build_model EMA ignore keys), models/gaussian_diffusion.py (GaussianDiffusion.training_losses, q_sample,
//         encode_first_stage, _scale_input), models/respace.py (SpacedDiffusion._WrappedModel).
// Paper: Yue et al., "ResShift: Efficient Diffusion Model for Image Super-resolution by Residual Shifting", NeurIPS 2023, Eq. (7)-(9).
using System.Text.Json;
using HfDiff.Torch.Archs.ResShift;
using HfDiff.Torch.Losses.Distillation;
using HfDiff.Torch.Pipelines;
using HfDiff.Torch.Samplers;
using HfDiff.Torch.Schedules;
using HfDiff.Torch.Training.Core;
using TorchSharp;
using static TorchSharp.torch;

namespace HfDiff.Torch.Training;

/// <summary>
/// The objective of ResShift's <c>TrainerDifIR</c> (no AMP, no LPIPS term): per microbatch
/// <list type="number">
/// <item>z_y = s·E(bicubic_sf(lq)), z_0 = s·E(gt) (frozen encoder, no grad);</item>
/// <item>t ~ U{0, …, T−1} per row, ε ~ N(0, I); x_t = z_0 + η_t (z_y − z_0) + κ√η_t ε (<c>q_sample</c>);</item>
/// <item>out = f(x_t / d_t, timestep_map[t], lq); target = z_0 (xstart), z_y − z_0 (residual), ε (epsilon) or κ√η_t ε (epsilon_scale);</item>
/// <item>mse = mean_flat((target − out)²) (÷ κ² η_t for epsilon_scale, × weight_loss_mse[t] when weighted_mse); loss = mse.</item>
/// </list>
/// The EMA copies <c>relative_position_index</c>, <c>running_*</c> and <c>num_batches_tracked</c> keys and averages the rest.
/// </summary>
public sealed class ResShiftTeacherTrainer : ITrainingObjective
{
    readonly LatentDenoiser _forward;
    readonly LatentEncoder _encoder;
    readonly IReadOnlyList<nn.Module> _frozen;

    /// <param name="model">The network trained.</param>
    /// <param name="forward">Its forward with gradients.</param>
    /// <param name="encoder">The frozen first-stage encoder.</param>
    /// <param name="schedule">The diffusion (official <c>diffusion:</c> section).</param>
    /// <param name="options">Reporting options.</param>
    /// <param name="frozenModules">Networks to keep in eval mode (the autoencoder).</param>
    public ResShiftTeacherTrainer(nn.Module model, LatentDenoiser forward, LatentEncoder encoder, ResShiftSchedule schedule,
                                  ResShiftTeacherTrainerOptions? options = null, IEnumerable<nn.Module>? frozenModules = null)
    {
        Model = model ?? throw new ArgumentNullException(nameof(model));
        _forward = forward ?? throw new ArgumentNullException(nameof(forward));
        _encoder = encoder ?? throw new ArgumentNullException(nameof(encoder));
        Schedule = schedule ?? throw new ArgumentNullException(nameof(schedule));
        Options = options ?? new ResShiftTeacherTrainerOptions();
        _frozen = frozenModules?.ToList() ?? [];
        Settings = new Dictionary<string, string>(StringComparer.Ordinal) { ["diffusion"] = JsonSerializer.Serialize(schedule.Options) };
    }

    /// <summary>The official setup: UNet trained, VQ autoencoder frozen.</summary>
    public static ResShiftTeacherTrainer Create(UNetModelSwin model, VQModelTorch autoencoder, ResShiftSchedule schedule,
                                                ResShiftTeacherTrainerOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(autoencoder);
        FrozenModules.Freeze(autoencoder);
        return new ResShiftTeacherTrainer(model, (x, t, lq) => model.Forward(x, t, lq), autoencoder.Encode, schedule, options, [autoencoder]);
    }

    public string Kind => "resshift-teacher";
    public nn.Module Model { get; }
    public EmaKeyRule EmaRule => EmaKeyRule.ResShift;
    public IReadOnlyList<string> TermNames { get; } = ["loss", "mse"];
    public IReadOnlyDictionary<string, string> Settings { get; }
    public ResShiftSchedule Schedule { get; }
    public ResShiftTeacherTrainerOptions Options { get; }

    public void PrepareForTraining()
    {
        Model.train();
        foreach (var m in _frozen) m.eval();
    }

    public TrainingMicrobatchResult Compute(Tensor gt, Tensor lq, INoiseSource noise, ITimestepSource timesteps)
    {
        using var scope = NewDisposeScope();
        var o = Schedule.Options;
        Tensor zY, zStart;
        using (no_grad())
        {
            // encode_first_stage(y, up_sample=True) and (x_start, up_sample=False), times scale_factor.
            zY = _encoder(LatentSrPipeline.Upsample(lq, o.Sf));
            zStart = _encoder(gt);
            if (o.ScaleFactor != 1.0) { zY = zY * o.ScaleFactor; zStart = zStart * o.ScaleFactor; }
        }
        if (!zY.shape.SequenceEqual(zStart.shape))
            throw new ArgumentException($"gt must be sf={o.Sf} times lq: their latents are [{string.Join(", ", zStart.shape)}] and [{string.Join(", ", zY.shape)}].", nameof(gt));

        long b = gt.shape[0];
        // training_step: tt = randint(0, T, (b,)) first, then the latent noise.
        var t = timesteps.Sample(b, Schedule.NumTimesteps, gt.device);
        if (t.dtype != ScalarType.Int64 || t.dim() != 1 || t.shape[0] != b)
            throw new InvalidOperationException($"The timestep source must return ({b},) int64; got {t.dtype} [{string.Join(", ", t.shape)}].");
        // PORT-QUIRK(ResShift, trainer.py): the noise is drawn as (b, embed_dim, H/f, H/f) (square latent assumed); we draw it
        // like z_0, which is the same for the square crops the trainer uses.
        var eps = noise.RandnLike(zStart);
        var zT = Schedule.QSample(zStart, zY, t, eps);

        var output = _forward(Schedule.ScaleInput(zT, t), Schedule.MapTimesteps(t), lq);
        if (!output.shape.SequenceEqual(zStart.shape))
            throw new InvalidOperationException($"The model returned [{string.Join(", ", output.shape)}] for a latent [{string.Join(", ", zStart.shape)}].");
        long nd = zStart.dim();
        var target = o.PredictType switch
        {
            ResShiftPredictType.XStart => zStart,
            ResShiftPredictType.Residual => zY - zStart,
            ResShiftPredictType.Epsilon => eps,
            ResShiftPredictType.EpsilonScale => eps * o.Kappa * ResShiftSchedule.Extract(Schedule.SqrtEtas, t, nd),
            _ => throw new InvalidOperationException($"Unknown predict type {o.PredictType}."),
        };
        var mse = (target - output).square().mean(Enumerable.Range(1, (int)nd - 1).Select(i => (long)i).ToArray());   // mean_flat
        if (o.PredictType == ResShiftPredictType.EpsilonScale)
            mse = mse / (ResShiftSchedule.Extract(Schedule.Etas, t, 1) * (o.Kappa * o.Kappa));
        if (o.WeightedMse) mse = mse * ResShiftSchedule.Extract(Schedule.WeightLossMse, t, 1);
        // backward_step: losses['loss'] = losses['mse']; loss = losses['loss'].mean() / num_grad_accumulate (the loop divides).
        var loss = mse.mean();

        var terms = new Dictionary<string, Tensor>(StringComparer.Ordinal)
        {
            ["loss"] = mse.detach().clone().MoveToOuterDisposeScope(),
            ["mse"] = mse.detach().clone().MoveToOuterDisposeScope(),
        };
        var outputs = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        if (Options.ReportPredictions)
        {
            using var _ = no_grad();
            outputs["pred_zstart"] = Schedule.PredictXStart(output.detach(), zT, zY, t).clone().MoveToOuterDisposeScope();
            outputs["z_t"] = zT.detach().clone().MoveToOuterDisposeScope();
            outputs["t"] = t.clone().MoveToOuterDisposeScope();
        }
        return new TrainingMicrobatchResult(loss.MoveToOuterDisposeScope(), terms, outputs);
    }

    /// <summary>Trains with <paramref name="loop"/> settings (AdamW, lr schedule, EMA, checkpoints) on <paramref name="data"/>.</summary>
    public TrainingResult Train(ITrainingBatchSource data, TrainingLoopOptions loop, TrainingRunHooks? hooks = null)
    {
        using var runner = new TrainingLoop(this, loop);
        return runner.Run(data, hooks);
    }
}
