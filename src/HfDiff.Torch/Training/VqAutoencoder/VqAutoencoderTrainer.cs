// The VQGAN first-stage trainer (the VQModelTorch f4 of ResShift / SinSR / HF-Diff).
// Sources: CompVis/taming-transformers @ 9944179a, taming/modules/losses/vqperceptual.py (VQLPIPSWithDiscriminator,
//          adopt_weight, hinge_d_loss, vanilla_d_loss, calculate_adaptive_weight), taming/models/vqgan.py (VQModel.training_step,
//          get_last_layer); zsyOAOA/ResShift @ 3ce1d81e, ldm/modules/vqvae/quantize.py (VectorQuantizer2, legacy loss).
// Paper: Esser et al., "Taming Transformers for High-Resolution Image Synthesis", CVPR 2021, Eq. (4)-(7).
using System.Globalization;
using System.Text.Json;
using HfDiff.Torch.Archs.ResShift;
using HfDiff.Torch.Archs.Taming;
using HfDiff.Torch.Data.SrPairs;
using HfDiff.Torch.Samplers;
using HfDiff.Torch.Training.Core;
using HfDiff.Torch.Weights;
using TorchSharp;
using TorchSharp.Modules;
using TorchSharp.PyBridge;
using static TorchSharp.torch;

namespace HfDiff.Torch.Training.VqAutoencoder;

/// <summary>
/// Perceptual distance with gradients: (b, 3, H, W) reconstruction and target in [−1, 1] → (b) distances.
/// </summary>
public delegate Tensor PerceptualDistance(Tensor reconstruction, Tensor target);

/// <summary>
/// taming's VQGAN objective on a <see cref="VQModelTorch"/> (whose state dict keeps the official keys). Per microbatch x:
/// <list type="number">
/// <item>z = quant_conv(E(x)); (z_q, idx, L_vq) = quantize(z) with the straight-through estimator; x̂ = D(post_quant_conv(z_q));</item>
/// <item>L_rec = mean(|x − x̂|) + w_p·mean(LPIPS(x, x̂)) (<c>nll_loss</c>; no perceptual term without a perceptual loss);</item>
/// <item>with a discriminator and global_step ≥ disc_start: L_G = −mean(D(x̂)),
/// λ = clamp(‖∇_last L_rec‖ / (‖∇_last L_G‖ + 1e-4), 0, 1e4)·disc_weight (last = <c>decoder.conv_out.weight</c>);</item>
/// <item>loss = L_rec + λ·disc_factor·L_G + codebook_weight·L_vq.</item>
/// </list>
/// After the autoencoder's step (<see cref="IAuxiliaryTrainingObjective.AfterStep"/>): codebook usage (perplexity, codes used,
/// dead codes), optional dead-code restarts, and the discriminator's own AdamW step on
/// disc_factor·hinge(D(x), D(x̂.detach())), accumulated over the microbatches like the autoencoder's.
/// </summary>
/// <remarks>
/// Differences from taming, all ours: (1) the discriminator sees the reconstructions of the autoencoder's pass (Lightning
/// recomputes them after the autoencoder's step: one more forward); (2) before disc_start neither the generator's GAN
/// term nor the discriminator is computed (taming computes them with factor 0: no change to any weight, only the
/// discriminator's BatchNorm statistics and Adam's step count advance); (3) <c>pixelloss_weight</c> is absent because
/// taming ignores it (PORT-QUIRK(taming, vqperceptual.py): stored, never applied); (4) codebook statistics and restarts.
/// </remarks>
public sealed class VqAutoencoderTrainer : IAuxiliaryTrainingObjective, IDisposable
{
    const string StateMagic = "hfdiff-vqgan-aux/1";
    const long DiscInitStream = 0x64697363, RestartStream = 0x72657374;

    readonly VQModelTorch _model;
    readonly PerceptualDistance? _perceptual;
    readonly IReadOnlyList<nn.Module> _frozen;
    NLayerDiscriminator? _disc;
    Parameter[] _discParams = [];
    AdamW? _discOptimizer;
    Generator? _generator;
    long[] _lastUsed;
    long _iteration = 1;

    /// <param name="model">The autoencoder trained (all its parameters).</param>
    /// <param name="options">Loss settings.</param>
    /// <param name="perceptual">Perceptual distance with gradients (e.g. <see cref="LpipsPerceptual"/>); null = none.</param>
    /// <param name="frozenModules">Networks behind <paramref name="perceptual"/>, kept in eval mode and moved to the training device.</param>
    public VqAutoencoderTrainer(VQModelTorch model, VqAutoencoderTrainerOptions? options = null, PerceptualDistance? perceptual = null,
                                IEnumerable<nn.Module>? frozenModules = null)
    {
        _model = model ?? throw new ArgumentNullException(nameof(model));
        Options = options ?? new VqAutoencoderTrainerOptions();
        Options.Validate();
        _perceptual = perceptual;
        _frozen = frozenModules?.ToList() ?? [];
        _lastUsed = new long[model.Options.NEmbed];
        var terms = new List<string> { "loss", "nll_loss", "l1_loss", "p_loss", "quant_loss" };
        if (Options.Discriminator is not null) terms.AddRange(["g_loss", "d_weight", "disc_factor", "disc_loss", "logits_real", "logits_fake"]);
        terms.AddRange(["perplexity", "codes_used", "dead_codes"]);
        if (Options.RestartDeadCodes) terms.Add("codes_restarted");
        TermNames = terms;
        Settings = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["autoencoder"] = JsonSerializer.Serialize(model.Options),
            ["vqgan"] = JsonSerializer.Serialize(Options),
            ["perceptual"] = perceptual is null ? "none" : "on",
        };
    }

    public string Kind => "vqgan-autoencoder";
    public nn.Module Model => _model;
    public EmaKeyRule EmaRule => EmaKeyRule.ResShift;
    public IReadOnlyList<string> TermNames { get; }
    public IReadOnlyDictionary<string, string> Settings { get; }
    public VqAutoencoderTrainerOptions Options { get; }

    /// <summary>The discriminator (null without one, or before <see cref="InitializeAuxiliary"/>).</summary>
    public NLayerDiscriminator? Discriminator => _disc;

    /// <summary>Per code, the last iteration whose batch used it (0 = none yet).</summary>
    public IReadOnlyList<long> LastUsed => _lastUsed;

    /// <summary>A perceptual distance from LPIPS (frozen, eval mode) with gradients to its inputs.</summary>
    public static PerceptualDistance LpipsPerceptual(Metrics.Lpips.LpipsMetric lpips)
    {
        ArgumentNullException.ThrowIfNull(lpips);
        FrozenModules.Freeze(lpips);
        return (x, y) =>
        {
            using var output = lpips.Forward(y, x, normalize: false, withGradients: true);   // taming: perceptual_loss(inputs, reconstructions)
            return output.Distance.alias();
        };
    }

    /// <summary>adopt_weight(disc_factor, global_step, disc_start) with global_step = iteration − 1.</summary>
    public double DiscFactorAt(long iteration) =>
        Options.Discriminator is null || iteration - 1 < Options.DiscStart ? 0.0 : Options.DiscFactor;

    public void InitializeAuxiliary(Device device, TrainingLoopOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        foreach (var m in _frozen) m.to(device);
        _generator?.Dispose();
        _generator = new Generator(unchecked((ulong)SrPairSeeds.Derive(options.Seed, RestartStream)));
        if (Options.Discriminator is { } d && _disc is null)
        {
            using var g = new Generator(unchecked((ulong)SrPairSeeds.Derive(options.Seed, DiscInitStream)));
            _disc = new NLayerDiscriminator(d, g);
            _disc.to(device);
            _discParams = _disc.parameters().ToArray();
            _discOptimizer = optim.AdamW(_discParams, options.LrSchedule.InitialLr, options.Beta1, options.Beta2, options.Eps, options.WeightDecay);
        }
    }

    public void BeginIteration(long iteration) => _iteration = iteration;

    public void PrepareForTraining()
    {
        _model.train();
        _disc?.train();
        foreach (var m in _frozen) m.eval();
    }

    /// <summary>
    /// calculate_adaptive_weight: λ = clamp(‖∂L_rec/∂w‖ / (‖∂L_G/∂w‖ + 1e-4), 0, 1e4)·<paramref name="discWeight"/> for the
    /// last layer w, detached (the graphs are retained).
    /// </summary>
    public static Tensor AdaptiveWeight(Tensor nllLoss, Tensor gLoss, Tensor lastLayer, double discWeight)
    {
        using var scope = NewDisposeScope();
        var nllGrad = torch.autograd.grad([nllLoss], [lastLayer], retain_graph: true)[0];
        var gGrad = torch.autograd.grad([gLoss], [lastLayer], retain_graph: true)[0];
        var w = nllGrad.norm() / (gGrad.norm() + 1e-4);
        w = w.clamp(0.0, 1e4).detach();
        return (w * discWeight).MoveToOuterDisposeScope();
    }

    public TrainingMicrobatchResult Compute(Tensor gt, Tensor lq, INoiseSource noise, ITimestepSource timesteps)
    {
        ArgumentNullException.ThrowIfNull(gt);
        using var scope = NewDisposeScope();
        var z = _model.Encode(gt);
        using var q = _model.Quantize(z);
        var xrec = _model.Decode(q.Quant, forceNotQuantize: true);

        var l1 = (gt - xrec).abs().mean();
        Tensor nll = l1, pLoss = zeros([], device: gt.device);
        if (_perceptual is not null && Options.PerceptualWeight > 0)
        {
            // rec_loss = |x − x̂| + w_p·p (broadcast per image), nll = mean(rec_loss) = mean|x − x̂| + w_p·mean(p).
            pLoss = _perceptual(xrec, gt).mean();
            nll = l1 + Options.PerceptualWeight * pLoss;
        }
        var loss = nll;
        double factor = DiscFactorAt(_iteration);
        var terms = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        if (_disc is not null)
        {
            Tensor gLoss = zeros([], device: gt.device), dWeight = zeros([], device: gt.device);
            if (factor > 0)
            {
                // Lightning's toggle_optimizer: only the autoencoder's parameters get gradients in its step.
                foreach (var p in _discParams) p.requires_grad = false;
                try
                {
                    var logitsFake = _disc.call(xrec);
                    gLoss = -logitsFake.mean();
                    dWeight = AdaptiveWeight(nll, gLoss, _model.LastLayerWeight, Options.DiscWeight);
                    loss = nll + dWeight * factor * gLoss;
                }
                finally { foreach (var p in _discParams) p.requires_grad = true; }
            }
            terms["g_loss"] = gLoss.detach().clone();
            terms["d_weight"] = dWeight.detach().clone();
            terms["disc_factor"] = tensor(factor);
        }
        loss = loss + Options.CodebookWeight * q.EmbLoss;

        terms["loss"] = loss.detach().clone();
        terms["nll_loss"] = nll.detach().clone();
        terms["l1_loss"] = l1.detach().clone();
        terms["p_loss"] = pLoss.detach().clone();
        terms["quant_loss"] = q.EmbLoss.detach().clone();
        var outputs = new Dictionary<string, Tensor>(StringComparer.Ordinal)
        {
            ["input"] = gt.detach().clone(),
            ["reconstruction"] = xrec.detach().clone(),
            ["indices"] = q.Indices.clone(),
            ["latent"] = z.detach().clone(),
        };
        foreach (var t in terms.Values.Concat(outputs.Values)) t.MoveToOuterDisposeScope();
        return new TrainingMicrobatchResult(loss.MoveToOuterDisposeScope(), terms, outputs);
    }

    public IReadOnlyDictionary<string, double[]> AfterStep(AuxiliaryStepContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var terms = new Dictionary<string, double[]>(StringComparer.Ordinal);
        long it = context.Iteration;
        var micro = context.Microbatches;

        // Codebook usage of the whole batch.
        var usage = CodebookUsage.FromIndices(micro.Select(m => m.Outputs["indices"]), _lastUsed.Length);
        for (int i = 0; i < _lastUsed.Length; i++) if (usage.Counts[i] > 0) _lastUsed[i] = it;
        int dead = DeadCodes(it).Count;
        terms["perplexity"] = [usage.Perplexity];
        terms["codes_used"] = [usage.CodesUsed];
        terms["dead_codes"] = [dead];

        if (Options.RestartDeadCodes)
        {
            int restarted = context.ModelStepSkipped ? 0 : RestartDeadCodes(it, micro.Select(m => m.Outputs["latent"]).ToList());
            terms["codes_restarted"] = [restarted];
        }

        double factor = DiscFactorAt(it);
        if (_disc is not null && _discOptimizer is not null && factor > 0 && !context.ModelStepSkipped && micro.Count > 0)
        {
            foreach (var group in _discOptimizer.ParamGroups) group.LearningRate = context.LearningRate;
            _discOptimizer.zero_grad();
            var dLosses = new List<double>();
            var real = new List<double>();
            var fake = new List<double>();
            bool finite = true;
            foreach (var m in micro)
            {
                using var scope = NewDisposeScope();
                var logitsReal = _disc.call(m.Outputs["input"]);
                var logitsFake = _disc.call(m.Outputs["reconstruction"]);
                var dLoss = factor * DiscriminatorLoss(logitsReal, logitsFake, Options.DiscLoss);
                double v = dLoss.detach().to_type(ScalarType.Float64).item<double>();
                dLosses.Add(v);
                real.Add(logitsReal.detach().mean().to_type(ScalarType.Float64).item<double>());
                fake.Add(logitsFake.detach().mean().to_type(ScalarType.Float64).item<double>());
                if (!double.IsFinite(v)) { finite = false; break; }
                (dLoss / context.MicrobatchCount).backward();
            }
            // A non-finite discriminator loss skips only the discriminator's step (the autoencoder's was finite).
            if (finite) _discOptimizer.step();
            _discOptimizer.zero_grad();
            terms["disc_loss"] = [.. dLosses];
            terms["logits_real"] = [.. real];
            terms["logits_fake"] = [.. fake];
        }
        return terms;
    }

    /// <summary>taming's <c>hinge_d_loss</c> / <c>vanilla_d_loss</c> (0-dim).</summary>
    public static Tensor DiscriminatorLoss(Tensor logitsReal, Tensor logitsFake, VqGanLoss kind)
    {
        using var scope = NewDisposeScope();
        var loss = kind switch
        {
            VqGanLoss.Hinge => 0.5 * (nn.functional.relu(1.0 - logitsReal).mean() + nn.functional.relu(1.0 + logitsFake).mean()),
            VqGanLoss.Vanilla => 0.5 * (nn.functional.softplus(-logitsReal).mean() + nn.functional.softplus(logitsFake).mean()),
            _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "kind must be Hinge or Vanilla."),
        };
        return loss.MoveToOuterDisposeScope();
    }

    /// <summary>Codes unused for at least <see cref="VqAutoencoderTrainerOptions.DeadCodeIterations"/> iterations up to <paramref name="iteration"/>.</summary>
    public IReadOnlyList<int> DeadCodes(long iteration)
    {
        var dead = new List<int>();
        for (int i = 0; i < _lastUsed.Length; i++) if (iteration - _lastUsed[i] >= Options.DeadCodeIterations) dead.Add(i);
        return dead;
    }

    /// <summary>Sets each dead code to a pre-quantization latent vector of the batch drawn at random (with replacement); returns how many.</summary>
    int RestartDeadCodes(long iteration, IReadOnlyList<Tensor> latents)
    {
        var dead = DeadCodes(iteration);
        if (dead.Count == 0 || latents.Count == 0) return 0;
        using var scope = NewDisposeScope();
        int e = _model.Options.EmbedDim;
        var pool = cat(latents.Select(l => l.permute(0, 2, 3, 1).reshape(-1, e)).ToArray(), 0);
        var codebook = _model.Quantizer.Codebook;
        var pick = randint(0, pool.shape[0], [dead.Count], dtype: ScalarType.Int64, generator: _generator).to(pool.device);
        var rows = tensor(dead.Select(i => (long)i).ToArray(), ScalarType.Int64, codebook.device);
        using (no_grad()) codebook.index_copy_(0, rows, pool.index_select(0, pick).to(codebook.dtype).to(codebook.device));
        foreach (var i in dead) _lastUsed[i] = iteration;
        return dead.Count;
    }

    public byte[] GetAuxiliaryState()
    {
        using var ms = new MemoryStream();
        using (var w = new BinaryWriter(ms, System.Text.Encoding.UTF8, leaveOpen: true))
        {
            w.Write(StateMagic);
            w.Write(_lastUsed.Length);
            foreach (var v in _lastUsed) w.Write(v);
            WriteBlock(w, GeneratorState());
            w.Write(_disc is not null);
            if (_disc is not null)
            {
                var sd = new Dictionary<string, Tensor>(StringComparer.Ordinal);
                try
                {
                    foreach (var (k, v) in _disc.state_dict()) sd[k] = v.detach().cpu().contiguous();
                    using var sdBytes = new MemoryStream();
                    Safetensors.SaveStateDict(sdBytes, sd, leaveOpen: true);
                    WriteBlock(w, sdBytes.ToArray());
                }
                finally { foreach (var t in sd.Values) t.Dispose(); }
                using var optBytes = new MemoryStream();
                using (var ow = new BinaryWriter(optBytes, System.Text.Encoding.UTF8, leaveOpen: true)) _discOptimizer!.save_state_dict(ow);
                WriteBlock(w, optBytes.ToArray());
            }
        }
        return ms.ToArray();
    }

    public void SetAuxiliaryState(byte[] state)
    {
        ArgumentNullException.ThrowIfNull(state);
        try
        {
            using var r = new BinaryReader(new MemoryStream(state), System.Text.Encoding.UTF8);
            if (r.ReadString() != StateMagic) throw new CheckpointFormatException($"The auxiliary state is not '{StateMagic}'.");
            int n = r.ReadInt32();
            if (n != _lastUsed.Length) throw new CheckpointFormatException($"The auxiliary state has {n} codes; the model has {_lastUsed.Length}.");
            for (int i = 0; i < n; i++) _lastUsed[i] = r.ReadInt64();
            var gen = ReadBlock(r);
            if (_generator is not null)
            {
                using var t = tensor(gen, dtype: ScalarType.Byte);
                _generator.set_state(t);
            }
            bool hasDisc = r.ReadBoolean();
            if (hasDisc != (_disc is not null))
                throw new CheckpointFormatException($"The checkpoint was made {(hasDisc ? "with" : "without")} a discriminator; this run is {(_disc is null ? "without" : "with")} one.");
            if (_disc is null) return;
            using (var ms = new MemoryStream(ReadBlock(r)))
            {
                var sd = Safetensors.LoadStateDict(ms, leaveOpen: false, keysToKeep: null);
                try { Checkpoint.LoadInto(_disc, sd, strict: true, source: "checkpoint discriminator"); }
                finally { foreach (var t in sd.Values) t.Dispose(); }
            }
            using var ob = new BinaryReader(new MemoryStream(ReadBlock(r)));
            _discOptimizer!.load_state_dict(ob);
        }
        catch (EndOfStreamException e) { throw new CheckpointFormatException($"The auxiliary state is truncated ({e.Message}).", e); }
    }

    byte[] GeneratorState()
    {
        if (_generator is null) return [];
        using var s = _generator.get_state();
        return s.data<byte>().ToArray();
    }

    static void WriteBlock(BinaryWriter w, byte[] bytes) { w.Write(bytes.Length); w.Write(bytes); }

    static byte[] ReadBlock(BinaryReader r)
    {
        int n = r.ReadInt32();
        var b = r.ReadBytes(n);
        if (b.Length != n) throw new EndOfStreamException($"expected {n} bytes, got {b.Length}");
        return b;
    }

    /// <summary>Trains with <paramref name="loop"/> settings on <paramref name="data"/> (gt = HR crops; lq is not used).</summary>
    public TrainingResult Train(ITrainingBatchSource data, TrainingLoopOptions loop, TrainingRunHooks? hooks = null)
    {
        using var runner = new TrainingLoop(this, loop);
        return runner.Run(data, hooks);
    }

    public void Dispose()
    {
        _discOptimizer?.Dispose();
        _disc?.Dispose();
        _generator?.Dispose();
    }
}
