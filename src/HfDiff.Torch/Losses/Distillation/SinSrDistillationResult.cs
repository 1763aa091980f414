using static TorchSharp.torch;

namespace HfDiff.Torch.Losses.Distillation;

/// <summary>
/// Everything <see cref="SinSrDistillationLoss.Compute"/> computed for one batch. Latents are (B, C, h, w) float32;
/// per-sample losses (B,); <see cref="ReferenceLoss"/> and <see cref="Total"/> are 0-dim. Only the student outputs of
/// calls with gradient, the loss terms and <see cref="Total"/> carry an autograd graph (to the student only).
/// Owns all its tensors: dispose it after <c>Total.backward()</c>.
/// </summary>
public sealed class SinSrDistillationResult : IDisposable
{
    readonly Dictionary<string, Tensor> _extraTerms = new(StringComparer.Ordinal);
    bool _disposed;

    internal SinSrDistillationResult() { }

    /// <summary>The GT batch as given, (B, 3, H, W) in [−1, 1] (an alias; no graph). Target of image-domain extra terms.</summary>
    public required Tensor Gt { get; init; }
    /// <summary>The LR batch as given, (B, 3, h, w) in [−1, 1] (an alias; no graph).</summary>
    public required Tensor Lq { get; init; }
    /// <summary>z_y = scale_factor · Encode(bicubic_sf(lq)): the LR latent the chain shifts towards (no graph).</summary>
    public required Tensor ZY { get; init; }
    /// <summary>z_0^gt = scale_factor · Encode(gt), no upsampling (no graph). Target of the GT term and of HF-Diff terms.</summary>
    public required Tensor ZStartGt { get; init; }
    /// <summary>ε ~ N(0, I) drawn once like z_y.</summary>
    public required Tensor Noise { get; init; }
    /// <summary>z_T = z_y + κ√η_{T−1} ε (prior sample), input of the teacher chain and of the first student call.</summary>
    public required Tensor ZT { get; init; }
    /// <summary>Teacher chain indices in order (T−1, …, 0).</summary>
    public required IReadOnlyList<int> TeacherTimesteps { get; init; }
    /// <summary>(T, B, C, h, w): teacher x̂_0 at each DDIM step (step k runs index T−1−k).</summary>
    public required Tensor TeacherPredX0 { get; init; }
    /// <summary>(T, B, C, h, w): DDIM state after each step; the last one is <see cref="ZStartTeacher"/>.</summary>
    public required Tensor TeacherStates { get; init; }
    /// <summary>z_0^teacher: the teacher's deterministic result from z_T (no graph).</summary>
    public required Tensor ZStartTeacher { get; init; }
    /// <summary>The student's timestep index T−1.</summary>
    public required int StudentTimestep { get; init; }
    /// <summary>The student forwards in the reference order (2 to 4 depending on the options).</summary>
    public required IReadOnlyList<SinSrStudentCall> StudentCalls { get; init; }

    /// <summary>Per-sample distillation term mean((z_0^teacher − S(z_T))²) · weight (<c>terms['mse']</c> times weights).</summary>
    public required Tensor LossMse { get; init; }
    /// <summary>Per-sample learn-x_T term (<c>terms['mse_xT']</c>), null when <see cref="SinSrDistillationLossOptions.LearnXT"/> is off.</summary>
    public Tensor? LossMseXT { get; init; }
    /// <summary>Per-sample GT term before its weight (<c>terms['mse_gt']</c>), null when FinetuneUseGt = 0.</summary>
    public Tensor? LossMseGt { get; init; }
    /// <summary>Per-sample weighted sum (<c>terms['loss']</c>).</summary>
    public required Tensor LossPerSample { get; init; }
    /// <summary><c>terms['loss'].mean()</c>: what the reference trainer back-propagates.</summary>
    public required Tensor ReferenceLoss { get; init; }

    /// <summary>Unweighted values of the <see cref="DistillationExtraTerm"/>s, by name (0-dim, with graph).</summary>
    public IReadOnlyDictionary<string, Tensor> ExtraTerms => _extraTerms;

    /// <summary>ReferenceLoss + Σ weight · extra term: the scalar to back-propagate.</summary>
    public Tensor Total { get; internal set; } = null!;

    /// <summary>Output of <see cref="SinSrStudentCallRole.PredictFromPrior"/>: the student's one-step z_0 prediction, with graph
    /// (the reference returns it detached as <c>pred_zstart</c>). Hook for HF-Diff's latent perceptual loss.</summary>
    public Tensor PredZStart => Call(SinSrStudentCallRole.PredictFromPrior)!.Output;
    /// <summary>Output of <see cref="SinSrStudentCallRole.InverseOfTeacher"/> (with graph), or null.</summary>
    public Tensor? PredictedXT => Call(SinSrStudentCallRole.InverseOfTeacher)?.Output;
    /// <summary>Output of <see cref="SinSrStudentCallRole.InverseOfGt"/> (no graph), or null.</summary>
    public Tensor? PredictedXTFromGt => Call(SinSrStudentCallRole.InverseOfGt)?.Output;
    /// <summary>Output of <see cref="SinSrStudentCallRole.PredictFromGtInverse"/> (with graph), or null.</summary>
    public Tensor? PredZStartFromGt => Call(SinSrStudentCallRole.PredictFromGtInverse)?.Output;

    /// <summary>The call with that role, or null when the options skip it.</summary>
    public SinSrStudentCall? Call(SinSrStudentCallRole role) => StudentCalls.FirstOrDefault(c => c.Role == role);

    internal void AddExtraTerm(string name, Tensor value) => _extraTerms.Add(name, value);

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        var all = new List<Tensor?> { Gt, Lq, ZY, ZStartGt, Noise, ZT, TeacherPredX0, TeacherStates, ZStartTeacher,
                                      LossMse, LossMseXT, LossMseGt, LossPerSample, ReferenceLoss, Total };
        foreach (var c in StudentCalls) all.AddRange([c.Input, c.Timesteps, c.Output]);
        all.AddRange(_extraTerms.Values);
        var seen = new HashSet<Tensor>(ReferenceEqualityComparer.Instance);
        foreach (var t in all)
            if (t is not null && seen.Add(t)) t.Dispose();
    }
}
