using HfDiff.Tests.Common;
using HfDiff.Torch.Archs.ResShift;
using HfDiff.Torch.Losses.Distillation;
using HfDiff.Torch.Samplers;
using HfDiff.Torch.Schedules;
using HfDiff.Torch.Weights;
using TorchSharp;
using static TorchSharp.torch;
using SamplerFixture = HfDiff.Torch.Tests.ResShiftFixture;
using ReplayDenoiser = HfDiff.Torch.Tests.Samplers.ReplayDenoiser;
using ReplayNoise = HfDiff.Torch.Tests.Samplers.ReplayNoise;

namespace HfDiff.Torch.Tests.Losses.Distillation;

/// <summary>
/// SinSR's distillation loss against the <c>distill.*</c> tensors of fixtures/resshift (README "distill.*").
/// Tolerances (README "Suggested tolerances"): single forwards rel L2 &lt; 1e-4; losses &lt; 1e-4 from stored intermediates,
/// &lt; 1e-3 end-to-end; free-running teacher chain &lt; 5e-3; student grad norm and stored gradients &lt; 1e-3.
/// </summary>
[TestClass]
public class SinSrDistillationLossTests
{
    const double ForwardTolerance = 1e-4;
    const double StoredLossTolerance = 1e-4;
    const double EndToEndLossTolerance = 1e-3;
    const double ChainTolerance = 5e-3;
    const double GradTolerance = 1e-3;

    static SamplerFixture? _fx;
    static SamplerFixture Fx => _fx ??= new SamplerFixture();

    [ClassCleanup]
    public static void Cleanup() { _fx?.Dispose(); _fx = null; }

    static ResShiftSchedule Schedule() => new(Fx.ScheduleOptions);

    /// <summary>Student calls stored in the fixture (distill.student_in_0, _1, …), in order.</summary>
    static int StoredStudentCalls => Fx.Io.WithPrefix("distill.student_in_").Count;

    static long SingleT(Tensor t, string what)
    {
        var v = t.data<long>().ToArray();
        Assert.IsTrue(v.All(x => x == v[0]), $"{what}: one timestep for the whole batch expected; got [{string.Join(", ", v)}]");
        return v[0];
    }

    /// <summary>The reduced UNet of a config.json section, built with the SinSR code (the distillation trainer's).</summary>
    static UNetModelSwin LoadUNet(string section)
    {
        var s = Fx.Config.GetProperty(section);
        var model = new UNetModelSwin(UNetModelSwinOptions.FromJson(s.GetProperty("sinsr_kwargs"), UNetCodeBase.SinSR));
        Checkpoint.LoadInto(model, Path.Combine(Fx.Dir, s.GetProperty("file").GetString()!), strict: true);
        return model;
    }

    static VQModelTorch LoadVq()
    {
        var s = Fx.Config.GetProperty("autoencoder");
        var model = new VQModelTorch(VQModelOptions.FromJson(s.GetProperty("kwargs")));
        Checkpoint.LoadInto(model, Path.Combine(Fx.Dir, s.GetProperty("file").GetString()!), strict: true);
        return model;
    }

    // README: teacher = model A, student = model B (train mode), VQ frozen.
    static UNetModelSwin Student() { var m = LoadUNet("sinsr_unet_B"); m.train(); return m; }
    static UNetModelSwin Teacher()
    {
        var m = LoadUNet("resshift_unet_A");
        m.eval();
        foreach (var p in m.parameters()) p.requires_grad = false;
        return m;
    }

    static void CheckRel(Tensor actual, Tensor expected, double tol, string name, List<string> log)
    {
        double err = TensorAssert.RelL2(actual, expected);
        log.Add($"{name}: rel L2 {err:E2}");
        Console.WriteLine(log[^1]);
        Assert.IsTrue(err < tol, $"{name}: relative L2 {err:E3} >= {tol:E1}");
    }

    /// <summary>Encoder stand-in: checks which image it gets and returns the stored latent.</summary>
    sealed class ReplayEncoder(Tensor gt, Tensor lq, int sf, Tensor zY, Tensor zStartGt)
    {
        public int Calls;
        public Tensor Encode(Tensor image)
        {
            Calls++;
            if (image.shape.SequenceEqual(gt.shape) && TensorAssert.MaxAbs(image, gt) == 0) return zStartGt.clone();
            // The LR input must arrive as F.interpolate(lq, scale_factor=sf, mode='bicubic') (align_corners=False).
            using var up = nn.functional.interpolate(lq, scale_factor: [sf, sf], mode: InterpolationMode.Bicubic, align_corners: false);
            TensorAssert.MaxAbsBelow(image, up, 0, "encoder input (bicubic-upsampled lq)");
            return zY.clone();
        }
    }

    [TestMethod, TestCategory("Parity.Losses")]
    public void StudentForward_StoredInputs_MatchStoredOutputs()
    {
        using var student = Student();
        using var _ = no_grad();
        var lq = Fx["distill.lq"];
        Assert.IsTrue(StoredStudentCalls > 0, "fixture has no distill.student_in_*");
        var log = new List<string>();
        for (int k = 0; k < StoredStudentCalls; k++)
        {
            using var y = student.Forward(Fx[$"distill.student_in_{k}"], Fx[$"distill.student_t_{k}"], lq);
            CheckRel(y, Fx[$"distill.student_out_{k}"], ForwardTolerance, $"distill.student_out_{k}", log);
        }
    }

    [TestMethod, TestCategory("Parity.Losses")]
    public void Compute_ReplayedNetworks_ReproducesStoredInputsAndLosses()
    {
        var schedule = Schedule();
        var loss = new SinSrDistillationLoss(schedule);
        var teacher = StoredTeacher(schedule, 1e-5);
        var studentCalls = Enumerable.Range(0, StoredStudentCalls).Select(k =>
            (Fx[$"distill.student_in_{k}"], SingleT(Fx[$"distill.student_t_{k}"], $"distill.student_t_{k}"), Fx[$"distill.student_out_{k}"])).ToList();
        var student = new ReplayDenoiser(studentCalls, Fx["distill.lq"], 1e-5);
        var encoder = new ReplayEncoder(Fx["distill.gt"], Fx["distill.lq"], Fx.ScheduleOptions.Sf, Fx["distill.z_y"], Fx["distill.z_start_gt"]);
        var noise = new ReplayNoise([Fx["distill.noise"]]);

        using var r = loss.Compute(Fx["distill.gt"], Fx["distill.lq"], student.Forward, teacher.Forward, encoder.Encode, noise);

        Assert.AreEqual(1, noise.Count, "one noise draw");
        Assert.AreEqual(2, encoder.Calls, "encoder calls (lq, gt)");
        Assert.AreEqual((int)Fx["distill.teacher_t"].shape[0], teacher.Count, "teacher calls");
        Assert.AreEqual(studentCalls.Count, student.Count, "student calls");
        Assert.AreEqual(SingleT(Fx["distill.t"], "distill.t"), (long)r.StudentTimestep, "student timestep t");
        CollectionAssert.AreEqual(
            new[] { SinSrStudentCallRole.PredictFromPrior, SinSrStudentCallRole.InverseOfTeacher, SinSrStudentCallRole.InverseOfGt, SinSrStudentCallRole.PredictFromGtInverse },
            r.StudentCalls.Select(c => c.Role).ToArray());
        Assert.IsFalse(r.Call(SinSrStudentCallRole.InverseOfGt)!.WithGrad, "call 2 runs under no_grad");

        var log = new List<string>();
        CheckRel(r.ZT, Fx["distill.z_t"], 1e-6, "distill.z_t", log);
        CheckRel(r.ZStartTeacher, Fx["distill.z_start_teacher"], 1e-5, "distill.z_start_teacher", log);
        CheckRel(r.TeacherStates, Fx["distill.teacher_ddim_sample"], 1e-5, "distill.teacher_ddim_sample", log);
        for (int k = 0; k < StoredStudentCalls; k++)
            CheckRel(r.StudentCalls[k].Input, Fx[$"distill.student_in_{k}"], 1e-5, $"distill.student_in_{k}", log);
        CheckLosses(r, StoredLossTolerance, log);
        CheckRel(r.PredZStart, Fx["distill.pred_zstart"], 1e-6, "distill.pred_zstart", log);
    }

    /// <summary>Teacher stand-in replaying <c>distill.teacher_pred_x0</c> (inputs checked against the stored chain).</summary>
    static ReplayDenoiser StoredTeacher(ResShiftSchedule schedule, double inputTolerance)
    {
        var div = Fx["schedule.scale_input_divisor_f32"];
        var states = Fx["distill.teacher_ddim_sample"];
        var preds = Fx["distill.teacher_pred_x0"];
        var ts = Fx["distill.teacher_t"];
        var calls = Enumerable.Range(0, (int)states.shape[0]).Select(k =>
        {
            long t = SingleT(ts[k], $"distill.teacher_t[{k}]");
            var prev = k == 0 ? Fx["distill.z_t"] : states[k - 1];
            return (prev / div[t], (long)schedule.TimestepMap[(int)t], preds[k]);
        }).ToList();
        return new ReplayDenoiser(calls, Fx["distill.lq"], inputTolerance);
    }

    static VQModelTorch FrozenVq()
    {
        var vq = LoadVq();
        vq.eval();
        foreach (var p in vq.parameters()) p.requires_grad = false;
        return vq;
    }

    static void CheckLosses(SinSrDistillationResult r, double tol, List<string> log)
    {
        CheckRel(r.LossMse, Fx["distill.loss_mse"], tol, "distill.loss_mse", log);
        CheckRel(r.LossMseXT!, Fx["distill.loss_mse_xT"], tol, "distill.loss_mse_xT", log);
        CheckRel(r.LossMseGt!, Fx["distill.loss_mse_gt"], tol, "distill.loss_mse_gt", log);
        CheckRel(r.LossPerSample, Fx["distill.loss_per_sample"], tol, "distill.loss_per_sample", log);
        CheckRel(r.Total.reshape(1), Fx["distill.loss_total"], tol, "distill.loss_total", log);
    }

    /// <summary>Everything a parity check compares, from one run of the loss with backward (float32 or float64).</summary>
    sealed record LossRun(Dictionary<string, Tensor> Values, double GradNorm, int ParamsWithGrad) : IDisposable
    {
        public void Dispose() { foreach (var t in Values.Values) t.Dispose(); }
    }

    /// <summary>
    /// Runs the loss on the fixture batch with the REAL student and encoder in <paramref name="dtype"/> (float64 = our own
    /// precision reference) and the teacher either replayed from the stored chain or free-running, then backward.
    /// </summary>
    static LossRun RunLoss(ScalarType dtype, bool storedTeacher)
    {
        using var scope = NewDisposeScope();
        using var student = Student();
        using var teacher = Teacher();
        using var vq = FrozenVq();
        if (dtype != ScalarType.Float32)
            foreach (var m in new TorchSharp.torch.nn.Module[] { student, teacher, vq }) ModuleExtensionMethods.to(m, dtype);
        var schedule = Schedule();
        LatentDenoiser teacherNet = storedTeacher
            ? StoredTeacher(schedule, 1e-4).Forward
            : (x, t, lq) => teacher.Forward(x, t, lq);
        var values = new Dictionary<string, Tensor>();
        using (var r = new SinSrDistillationLoss(schedule).Compute(Fx["distill.gt"].to_type(dtype), Fx["distill.lq"].to_type(dtype),
                   (x, t, lq) => student.Forward(x, t, lq), teacherNet, vq.Encode, new ReplayNoise([Fx["distill.noise"].to_type(dtype)])))
        {
            Assert.IsTrue(r.Total.requires_grad, "total must carry a graph");
            Assert.IsFalse(r.ZStartTeacher.requires_grad || r.ZY.requires_grad || r.ZStartGt.requires_grad, "teacher/encoder results must be constants");
            void Keep(string name, Tensor t) => values[name] = t.detach().to_type(ScalarType.Float32).clone().MoveToOuterDisposeScope();
            Keep("distill.z_y", r.ZY); Keep("distill.z_start_gt", r.ZStartGt); Keep("distill.z_t", r.ZT);
            Keep("distill.z_start_teacher", r.ZStartTeacher); Keep("distill.teacher_pred_x0", r.TeacherPredX0);
            for (int k = 0; k < r.StudentCalls.Count; k++) Keep($"distill.student_out_{k}", r.StudentCalls[k].Output);
            Keep("distill.loss_mse", r.LossMse); Keep("distill.loss_mse_xT", r.LossMseXT!); Keep("distill.loss_mse_gt", r.LossMseGt!);
            Keep("distill.loss_per_sample", r.LossPerSample); Keep("distill.loss_total", r.Total.reshape(1));
            r.Total.backward();
        }
        Assert.IsTrue(vq.parameters().All(p => p.grad is null), "autoencoder received gradients");
        Assert.IsTrue(teacher.parameters().All(p => p.grad is null), "teacher received gradients");
        var grads = student.named_parameters().Where(p => p.parameter.grad is not null).ToList();
        double sq = 0;
        foreach (var (name, param) in grads)
        {
            using var g64 = param.grad!.to_type(ScalarType.Float64);
            Assert.IsTrue(isfinite(g64).all().item<bool>(), $"gradient of {name} is not finite ({dtype})");
            sq += g64.square().sum().item<double>();
        }
        foreach (var name in Fx.Io.WithPrefix("distill.grad."))
        {
            string param = name["distill.grad.".Length..];
            var g = grads.FirstOrDefault(p => p.name == param).parameter?.grad;
            Assert.IsNotNull(g, $"{name}: no student parameter '{param}' with a gradient");
            values[name] = g.to_type(ScalarType.Float32).clone().MoveToOuterDisposeScope();
        }
        return new LossRun(values, Math.Sqrt(sq), grads.Count);
    }

    /// <summary>
    /// Checks our float32 run against the reference with bounds that do not depend on luck: each quantity may differ by
    /// max(<paramref name="floor"/>, 3 × the distance between the reference and our float64 run). The reference's own float32
    /// rounding puts it that far from the exact value; our float32 run has rounding of the same size. Real port errors
    /// are caught by the teacher-forced single-forward tests (<see cref="StudentForward_StoredInputs_MatchStoredOutputs"/>,
    /// the stored-input replays), where the bound is the plain 1e-4.
    /// </summary>
    static void CheckAgainstFloat64(LossRun ours, LossRun ours64, IEnumerable<(string Name, double Floor)> checks, double gradNormFloor, List<string> log)
    {
        foreach (var (name, floor) in checks)
        {
            double err = TensorAssert.RelL2(ours.Values[name], Fx[name]);
            double err64 = TensorAssert.RelL2(ours64.Values[name], Fx[name]);
            double bound = Math.Max(floor, 3 * err64);
            log.Add($"{name}: rel L2 {err:E2} (float64 run vs reference {err64:E2}; bound {bound:E1})");
            Console.WriteLine(log[^1]);
            Assert.IsTrue(err < bound, $"{name}: relative L2 {err:E3} >= {bound:E2} (float64 run vs reference {err64:E2})");
        }
        int expectedCount = Fx.Config.GetProperty("measured").GetProperty("distill").GetProperty("n_params_with_grad").GetInt32();
        Assert.AreEqual(expectedCount, ours.ParamsWithGrad, "student parameters with a gradient");
        double expectedNorm = Fx["distill.student_grad_norm"].to_type(ScalarType.Float64).item<double>();
        double normErr = Math.Abs(ours.GradNorm - expectedNorm) / expectedNorm;
        double normErr64 = Math.Abs(ours64.GradNorm - expectedNorm) / expectedNorm;
        double normBound = Math.Max(gradNormFloor, 3 * normErr64);
        log.Add($"student grad norm {ours.GradNorm:F6} vs {expectedNorm:F6}: rel {normErr:E2} (float64 run {ours64.GradNorm:F6}: rel {normErr64:E2}; bound {normBound:E1})");
        Console.WriteLine(log[^1]);
        Assert.IsTrue(normErr < normBound, log[^1]);
    }

    static IEnumerable<(string, double)> Losses(double floor) =>
        new[] { "distill.loss_mse", "distill.loss_mse_xT", "distill.loss_mse_gt", "distill.loss_per_sample", "distill.loss_total" }.Select(n => (n, floor));

    [TestMethod, TestCategory("Parity.Losses")]
    public void Compute_StoredTeacherChain_MatchesLossesAndStudentGradients()
    {
        // Real student and encoder; the teacher replays its stored outputs, so the student's targets are the reference's.
        // Student calls 1 and 3 take inputs made by earlier calls (z_0^teacher, our own x̂_T), so their rounding compounds.
        using var ours = RunLoss(ScalarType.Float32, storedTeacher: true);
        using var ours64 = RunLoss(ScalarType.Float64, storedTeacher: true);
        var checks = new List<(string, double)> { ("distill.z_y", ForwardTolerance), ("distill.z_start_gt", ForwardTolerance), ("distill.z_t", ForwardTolerance) };
        checks.AddRange(Enumerable.Range(0, StoredStudentCalls).Select(k => ($"distill.student_out_{k}", ForwardTolerance)));
        checks.AddRange(Losses(EndToEndLossTolerance));
        checks.AddRange(Fx.Io.WithPrefix("distill.grad.").Select(n => (n, GradTolerance)));
        CheckAgainstFloat64(ours, ours64, checks, GradTolerance, []);
    }

    [TestMethod, TestCategory("Parity.Losses")]
    public void Compute_FreeRunningTeacher_MatchesStoredLossesAndGradNorm()
    {
        // The 15-step teacher chain amplifies rounding; the student's targets and so its gradients inherit it.
        using var ours = RunLoss(ScalarType.Float32, storedTeacher: false);
        using var ours64 = RunLoss(ScalarType.Float64, storedTeacher: false);
        var checks = new List<(string, double)> { ("distill.z_start_teacher", ChainTolerance), ("distill.teacher_pred_x0", ChainTolerance) };
        checks.AddRange(Losses(EndToEndLossTolerance));
        CheckAgainstFloat64(ours, ours64, checks, GradTolerance, []);
        foreach (var name in Fx.Io.WithPrefix("distill.grad."))
            Console.WriteLine($"{name}: rel L2 {TensorAssert.RelL2(ours.Values[name], Fx[name]):E2} (float64 run {TensorAssert.RelL2(ours64.Values[name], Fx[name]):E2}; not asserted)");
    }

    /// <summary>
    /// The lower-memory order (<c>earlyBackwardScale</c>) on the fixture's real student, encoder and free-running teacher,
    /// against the reference order: every loss value and student output bit-identical, the calls reported in the reference
    /// order, and the accumulated gradient (early parts + Total × scale) equal to scale × the single backward up to float
    /// rounding (the sum is accumulated in another order).
    /// </summary>
    [TestMethod, TestCategory("Parity.Losses")]
    public void Compute_EarlyBackward_SameValuesAndGradientsAsOneBackward()
    {
        const double scale = 0.5;
        // Fixture tensors are cached by the fixture: read them before the runs' dispose scopes.
        Tensor gt = Fx["distill.gt"], lq = Fx["distill.lq"], noise = Fx["distill.noise"];
        (Dictionary<string, Tensor> Values, Dictionary<string, Tensor> Grads, List<SinSrStudentCallRole> Roles) Run(bool early)
        {
            using var scope = NewDisposeScope();
            using var student = Student();
            using var teacher = Teacher();
            using var vq = FrozenVq();
            var values = new Dictionary<string, Tensor>();
            List<SinSrStudentCallRole> roles;
            using (var r = new SinSrDistillationLoss(Schedule()).Compute(gt, lq, (x, t, c) => student.Forward(x, t, c),
                       (x, t, c) => teacher.Forward(x, t, c), vq.Encode, new ReplayNoise([noise]), earlyBackwardScale: early ? scale : null))
            {
                void Keep(string name, Tensor t) => values[name] = t.detach().clone().MoveToOuterDisposeScope();
                for (int k = 0; k < r.StudentCalls.Count; k++) Keep($"out_{k}", r.StudentCalls[k].Output);
                Keep("mse", r.LossMse); Keep("mse_xT", r.LossMseXT!); Keep("mse_gt", r.LossMseGt!);
                Keep("per_sample", r.LossPerSample); Keep("total", r.Total.reshape(1));
                roles = r.StudentCalls.Select(c => c.Role).ToList();
                if (early)
                {
                    Assert.IsFalse(r.LossMseXT!.requires_grad || r.LossMseGt!.requires_grad, "early terms are detached after their backward");
                    Assert.IsTrue(student.parameters().Any(p => p.grad is not null), "the early terms were back-propagated inside Compute");
                }
                else Assert.IsTrue(student.parameters().All(p => p.grad is null), "the reference order back-propagates nothing inside Compute");
                (r.Total * scale).backward();
            }
            var grads = student.named_parameters().Where(p => p.parameter.grad is not null)
                .ToDictionary(p => p.name, p => p.parameter.grad!.detach().clone().MoveToOuterDisposeScope());
            return (values, grads, roles);
        }

        var reference = Run(early: false);
        var early = Run(early: true);
        CollectionAssert.AreEqual(reference.Roles, early.Roles, "student calls in the reference order");
        foreach (var (name, value) in reference.Values)
            TensorAssert.MaxAbsBelow(early.Values[name], value, 0, $"{name} (same arithmetic in both orders)");
        CollectionAssert.AreEquivalent(reference.Grads.Keys.ToList(), early.Grads.Keys.ToList(), "parameters with a gradient");
        double worst = 0;
        foreach (var (name, g) in reference.Grads)
        {
            double err = TensorAssert.RelL2(early.Grads[name], g);
            worst = Math.Max(worst, err);
            Assert.IsTrue(err < 1e-5, $"{name}: gradient rel L2 {err:E2} between the two orders");
        }
        Console.WriteLine($"{reference.Grads.Count} gradients, worst rel L2 between the orders {worst:E2}");
        foreach (var t in reference.Values.Values.Concat(reference.Grads.Values).Concat(early.Values.Values).Concat(early.Grads.Values)) t.Dispose();
    }

    // ------------------------------------------------------------------------------------ non-fixture behaviour

    /// <summary>Tiny differentiable stand-ins: student x·w (+ t), teacher 0.5·x, encoder 4×4 average pool.</summary>
    static (TorchSharp.Modules.Parameter W, SinSrDistillationLoss Loss, Tensor Gt, Tensor Lq) Toy(SinSrDistillationLossOptions? options = null)
    {
        var w = new TorchSharp.Modules.Parameter(tensor(0.7f));
        var schedule = new ResShiftSchedule(new ResShiftScheduleOptions { Steps = 4 });
        var gen = new Generator(7);
        var gt = rand(new long[] { 2, 3, 32, 32 }, generator: gen) * 2 - 1;
        var lq = rand(new long[] { 2, 3, 8, 8 }, generator: gen) * 2 - 1;
        return (w, new SinSrDistillationLoss(schedule, options), gt, lq);
    }

    static Tensor ToyEncode(Tensor image) => nn.functional.avg_pool2d(image, 4);

    [TestMethod]
    public void Compute_ExtraTerm_IsWeightedIntoTotalWithGradToStudent()
    {
        var (w, loss, gt, lq) = Toy();
        Tensor? seenPred = null;
        var hf = new DistillationExtraTerm("hf", 0.2, r =>
        {
            seenPred = r.PredZStart;
            return (r.PredZStart - r.ZStartGt).square().mean();
        });
        using var r = loss.Compute(gt, lq, (x, t, _) => x * w + t.to_type(ScalarType.Float32).reshape(-1, 1, 1, 1) * 0.01f,
            (x, _, _) => x * 0.5f, ToyEncode, new ReplayNoise([randn(2, 3, 8, 8, generator: new Generator(3))]), [hf]);

        Assert.AreSame(r.PredZStart, seenPred, "the hook sees the student's one-step prediction");
        Assert.IsTrue(r.PredZStart.requires_grad, "PredZStart keeps its graph");
        using var manualHf = (r.PredZStart - r.ZStartGt).square().mean();
        Assert.AreEqual(manualHf.item<float>(), r.ExtraTerms["hf"].item<float>(), 1e-6f);
        Assert.AreEqual(r.ReferenceLoss.item<float>() + 0.2f * manualHf.item<float>(), r.Total.item<float>(), 1e-5f);
        using var meanPerSample = r.LossPerSample.mean();
        Assert.AreEqual(meanPerSample.item<float>(), r.ReferenceLoss.item<float>(), 0f);
        r.Total.backward();
        Assert.IsNotNull(w.grad, "student parameter gets a gradient");
        Assert.AreNotEqual(0f, w.grad.item<float>());
    }

    [TestMethod]
    public void Compute_EarlyBackward_RunsDistillationCallLastAndScalesTheEarlyGradients()
    {
        var (w, loss, gt, lq) = Toy();
        var order = new List<long>();
        LatentDenoiser student = (x, t, _) => { order.Add(t[0].item<long>()); return x * w + t.to_type(ScalarType.Float32).reshape(-1, 1, 1, 1) * 0.01f; };
        LatentDenoiser teacher = (x, _, _) => x * 0.5f;
        INoiseSource Noise() => new ReplayNoise([randn(2, 3, 8, 8, generator: new Generator(3))]);

        using (var r = loss.Compute(gt, lq, student, teacher, ToyEncode, Noise()))
            r.Total.mul(0.25).backward();
        float oneBackward = w.grad!.item<float>();
        var referenceOrder = order.ToList();
        w.grad.zero_();
        order.Clear();

        using (var r = loss.Compute(gt, lq, student, teacher, ToyEncode, Noise(), earlyBackwardScale: 0.25))
        {
            float early = w.grad.item<float>();
            Assert.AreNotEqual(0f, early, "inverse and consistency terms back-propagated inside Compute");
            r.Total.mul(0.25).backward();
        }
        // Reference order: S(z_T, T-1), S(z_0^teacher, 0), S(z_0^gt, 0), S(x_T, T-1); early: the distillation call last.
        CollectionAssert.AreEqual(new long[] { 3, 0, 0, 3 }, referenceOrder);
        CollectionAssert.AreEqual(new long[] { 0, 0, 3, 3 }, order);
        Assert.AreEqual(oneBackward, w.grad.item<float>(), Math.Abs(oneBackward) * 1e-5f, "same gradient as one backward of Total x 0.25");
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => loss.Compute(gt, lq, student, teacher, ToyEncode, Noise(), earlyBackwardScale: 0));
    }

    [TestMethod]
    public void Compute_LearnXTAndGtOff_RunsOnlyTheDistillationCall()
    {
        var (w, loss, gt, lq) = Toy(new SinSrDistillationLossOptions { LearnXT = false, FinetuneUseGt = 0 });
        int calls = 0;
        using var r = loss.Compute(gt, lq, (x, _, _) => { calls++; return x * w; }, (x, _, _) => x * 0.5f, ToyEncode);
        Assert.AreEqual(1, calls);
        Assert.IsNull(r.LossMseXT);
        Assert.IsNull(r.LossMseGt);
        Assert.IsNull(r.PredZStartFromGt);
        TensorAssert.MaxAbsBelow(r.LossPerSample, r.LossMse, 0, "per-sample loss = mse");
        Assert.AreEqual(4, r.TeacherTimesteps.Count);
        CollectionAssert.AreEqual(new long[] { 4, 2, 3, 8, 8 }, r.TeacherStates.shape);
    }

    [TestMethod]
    public void Compute_InputsThatDoNotFit_ThrowNamingTheProblem()
    {
        var (w, loss, gt, lq) = Toy();
        LatentDenoiser student = (x, _, _) => x * w;
        LatentDenoiser teacher = (x, _, _) => x * 0.5f;
        var e1 = Assert.ThrowsExactly<ArgumentException>(() => loss.Compute(gt, lq[..1], student, teacher, ToyEncode));
        StringAssert.Contains(e1.Message, "batch size");
        var e2 = Assert.ThrowsExactly<ArgumentException>(() => loss.Compute(gt[.., .., ..16, ..16], lq, student, teacher, ToyEncode));
        StringAssert.Contains(e2.Message, "sf=4");
        var e3 = Assert.ThrowsExactly<ArgumentException>(() => loss.Compute(gt.to_type(ScalarType.Float16), lq, student, teacher, ToyEncode));
        StringAssert.Contains(e3.Message, "gt must be float32");
        var e4 = Assert.ThrowsExactly<InvalidOperationException>(() => loss.Compute(gt, lq, (x, _, _) => x[.., ..1], teacher, ToyEncode));
        StringAssert.Contains(e4.Message, "student returned shape");
        var bad = new DistillationExtraTerm("bad", 1, r => r.LossPerSample.alias());
        var e5 = Assert.ThrowsExactly<InvalidOperationException>(() => loss.Compute(gt, lq, student, teacher, ToyEncode, null, [bad]));
        StringAssert.Contains(e5.Message, "'bad' must return a scalar");
    }

    [TestMethod]
    public void Constructor_UnportedOptions_ThrowNamingTheOption()
    {
        var schedule = new ResShiftSchedule();
        (SinSrDistillationLossOptions Options, string Name)[] cases =
        [
            (new() { DistillDdpm = true }, nameof(SinSrDistillationLossOptions.DistillDdpm)),
            (new() { UncertaintyHyper = 1 }, nameof(SinSrDistillationLossOptions.UncertaintyHyper)),
            (new() { XTCovLoss = 1 }, nameof(SinSrDistillationLossOptions.XTCovLoss)),
            (new() { LossInImageSpace = true }, nameof(SinSrDistillationLossOptions.LossInImageSpace)),
            (new() { FinetuneUseGt = -1 }, nameof(SinSrDistillationLossOptions.FinetuneUseGt)),
            (new() { DistillWeight = double.NaN }, nameof(SinSrDistillationLossOptions.DistillWeight)),
        ];
        foreach (var (options, name) in cases)
        {
            var e = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => new SinSrDistillationLoss(schedule, options), name);
            Assert.AreEqual(name, e.ParamName);
        }
        var eps = new ResShiftSchedule(new ResShiftScheduleOptions { PredictType = ResShiftPredictType.Epsilon });
        var ep = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => new SinSrDistillationLoss(eps));
        StringAssert.Contains(ep.Message, "xstart");
    }

    [TestMethod]
    public void Options_Defaults_AreSinSrYaml()
    {
        var o = new SinSrDistillationLossOptions();
        Assert.IsTrue(o.LearnXT);
        Assert.AreEqual(1.0, o.FinetuneUseGt);
        Assert.IsFalse(o.DistillDdpm);
        Assert.AreEqual(0.0, o.UncertaintyHyper);
        Assert.AreEqual(0.0, o.XTCovLoss);
        Assert.IsFalse(o.LossInImageSpace);
        Assert.AreEqual(1.0, o.DistillWeight);
        Assert.AreEqual(1.0, o.LearnXTWeight);
    }
}
