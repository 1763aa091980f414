using HfDiff.Torch.Archs.ResShift;
using HfDiff.Torch.Archs.Taming;
using HfDiff.Torch.Samplers;
using HfDiff.Torch.Training.Core;
using HfDiff.Torch.Training.VqAutoencoder;
using HfDiff.Torch.Weights;
using TorchSharp;
using static TorchSharp.torch;

namespace HfDiff.Torch.Tests.Training;

/// <summary><see cref="VqAutoencoderTrainer"/> on a tiny VQModelTorch (ch 32, three levels, 32 codes) and 16×16 synthetic images.</summary>
[TestClass]
public class VqAutoencoderTrainerTests
{
    static int _threads;

    [ClassInitialize]
    public static void SingleThread(TestContext _) { _threads = torch.get_num_threads(); torch.set_num_threads(1); }

    [ClassCleanup]
    public static void RestoreThreads()
    {
        torch.set_num_threads(_threads);
        lock (Dirs) foreach (var d in Dirs) try { Directory.Delete(d, recursive: true); } catch (IOException) { }
    }

    static readonly List<string> Dirs = [];

    static VQModelOptions TinyOptions(int nEmbed = 32) => new()
    {
        EmbedDim = 3, NEmbed = nEmbed,
        DdConfig = new DdConfig { Ch = 32, ChMult = [1, 1, 1], NumResBlocks = [1, 1, 1], ZChannels = 3, Resolution = 16 },
    };

    static VQModelTorch TinyModel(long seed = 11, int nEmbed = 32)
    {
        manual_seed(seed);
        return new VQModelTorch(TinyOptions(nEmbed));
    }

    /// <summary>Smooth synthetic images in [−1, 1]: a few low-frequency sinusoids per channel.</summary>
    static Tensor Images(int batch, int size = 16, long seed = 3)
    {
        using var g = new Generator((ulong)seed);
        using var scope = NewDisposeScope();
        var coords = linspace(0, Math.PI, size);
        var yy = coords.view(1, 1, size, 1);
        var xx = coords.view(1, 1, 1, size);
        var a = rand([batch, 3, 1, 1], generator: g) * 2 + 0.5;
        var b = rand([batch, 3, 1, 1], generator: g) * 2 + 0.5;
        var ph = rand([batch, 3, 1, 1], generator: g) * Math.PI;
        return (0.8 * (a * yy + ph).sin() * (b * xx).cos()).contiguous().MoveToOuterDisposeScope();
    }

    /// <summary>Same dtype, shape and bytes.</summary>
    static bool Same(Tensor a, Tensor b)
    {
        if (a.dtype != b.dtype || !a.shape.SequenceEqual(b.shape)) return false;
        using var x = a.detach().cpu().contiguous();
        using var y = b.detach().cpu().contiguous();
        return x.bytes.SequenceEqual(y.bytes);
    }

    static string TempDir(string name)
    {
        var d = Path.Combine(Path.GetTempPath(), $"hfdiff-vqae-{name}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(d);
        lock (Dirs) Dirs.Add(d);
        return d;
    }

    static TrainingLoopOptions Loop(string dir, long iterations, double lr = 1e-3, int batch = 2, int microbatch = 2, long saveFreq = 1000, bool resume = false) => new()
    {
        OutputFolder = dir, LrSchedule = new ConstantLrSchedule(lr), Iterations = iterations, Batch = batch, Microbatch = microbatch,
        EmaRate = 0.9, Beta1 = 0.5, Beta2 = 0.9, SaveFreq = saveFreq, Seed = 5, Resume = resume,
    };

    static double Column(string csv, string name, int row)
    {
        var lines = File.ReadAllLines(csv);
        int col = Array.IndexOf(lines[0].Split(','), name);
        Assert.IsTrue(col >= 0, $"no column {name} in {lines[0]}");
        return double.Parse(lines[row].Split(',')[col], System.Globalization.CultureInfo.InvariantCulture);
    }

    [TestMethod]
    public void Train_50Iterations_ReconstructionLossFalls()
    {
        var dir = TempDir("falls");
        using var model = TinyModel();
        using var trainer = new VqAutoencoderTrainer(model, new VqAutoencoderTrainerOptions { Discriminator = null });
        using var gt = Images(2);
        using var data = new FixedBatchSource(gt, gt);
        var result = trainer.Train(data, Loop(dir, 50));
        Assert.IsTrue(result.Completed);
        double first = Enumerable.Range(1, 5).Average(r => Column(result.LogPath, "l1_loss", r));
        double last = Enumerable.Range(46, 5).Average(r => Column(result.LogPath, "l1_loss", r));
        Assert.IsTrue(last < 0.6 * first, $"L1 did not fall enough: first 5 mean {first}, last 5 mean {last}.");
        Assert.IsTrue(Column(result.LogPath, "perplexity", 50) >= 1);
    }

    [TestMethod]
    public void ExportedStateDict_LoadsStrictlyIntoFreshModel()
    {
        var dir = TempDir("export");
        using var model = TinyModel();
        using var trainer = new VqAutoencoderTrainer(model, new VqAutoencoderTrainerOptions { DiscStart = 0, Discriminator = new NLayerDiscriminatorOptions { Ndf = 8, NumLayers = 2 } });
        using var gt = Images(2);
        using var data = new FixedBatchSource(gt, gt);
        var result = trainer.Train(data, Loop(dir, 2));
        using var fresh = TinyModel(seed: 99);
        var expected = fresh.state_dict().Keys.Order(StringComparer.Ordinal).ToArray();
        foreach (var path in new[] { result.ModelPath!, result.EmaPath! })
        {
            var sd = Checkpoint.LoadStateDict(path);
            try { CollectionAssert.AreEqual(expected, sd.Keys.Order(StringComparer.Ordinal).ToArray(), path); }
            finally { foreach (var t in sd.Values) t.Dispose(); }
            Checkpoint.LoadInto(fresh, path, strict: true);
        }
        // The discriminator is not part of the exported autoencoder.
        Assert.IsFalse(expected.Any(k => k.StartsWith("main.", StringComparison.Ordinal)));
        using var x = Images(1);
        using (no_grad())
        {
            model.eval(); fresh.eval();
            Checkpoint.LoadInto(fresh, result.ModelPath!, strict: true);
            using var a = model.Forward(x);
            using var b = fresh.Forward(x);
            Assert.IsTrue(Same(a, b), "the exported weights do not reproduce the trained model");
        }
    }

    static (Dictionary<string, Tensor> Model, Dictionary<string, Tensor> Ema, byte[] Aux, string[] Log) RunTo(string dir, long iterations, bool resume)
    {
        using var model = TinyModel();
        using var trainer = new VqAutoencoderTrainer(model, new VqAutoencoderTrainerOptions
        {
            DiscStart = 1, Discriminator = new NLayerDiscriminatorOptions { Ndf = 8, NumLayers = 2 },
            RestartDeadCodes = true, DeadCodeIterations = 2,
        });
        using var gt = Images(4, seed: 8);
        using var data = new FixedBatchSource(gt, gt);
        using var loop = new TrainingLoop(trainer, Loop(dir, iterations, batch: 4, microbatch: 2, saveFreq: 2, resume: resume));
        var result = loop.Run(data);
        var sd = model.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.detach().clone());
        var ema = loop.Ema.State.ToDictionary(kv => kv.Key, kv => kv.Value.detach().clone());
        return (sd, ema, trainer.GetAuxiliaryState(), File.ReadAllLines(result.LogPath));
    }

    [TestMethod]
    public void Resume_AfterStop_BitIdenticalWithDiscriminatorAndRestarts()
    {
        var straight = RunTo(TempDir("straight"), 6, resume: false);
        var dir = TempDir("resumed");
        RunTo(dir, 3, resume: false);                 // stops after iteration 3 (checkpoints at 2 and 3)
        File.Delete(TrainingCheckpoint.PathFor(Path.Combine(dir, TrainingLoop.CheckpointFolderName), 3));   // resume from 2: redo iteration 3
        var resumed = RunTo(dir, 6, resume: true);
        foreach (var (k, v) in straight.Model) Assert.IsTrue(Same(v, resumed.Model[k]), $"model {k} differs");
        foreach (var (k, v) in straight.Ema) Assert.IsTrue(Same(v, resumed.Ema[k]), $"EMA {k} differs");
        // Discriminator weights and BatchNorm statistics, its AdamW state, code ages and the restart generator.
        CollectionAssert.AreEqual(straight.Aux, resumed.Aux, "auxiliary state differs");
        string Strip(string line) => string.Join(',', line.Split(',')[..^1]);   // without the seconds column
        CollectionAssert.AreEqual(straight.Log.Select(Strip).ToArray(), resumed.Log.Select(Strip).ToArray());
        Assert.IsTrue(straight.Log.Skip(1).Any(l => l.Split(',')[Array.IndexOf(straight.Log[0].Split(','), "disc_loss")] != ""), "the discriminator never stepped");
    }

    [TestMethod]
    public void AdaptiveWeight_Toy_EqualsHandComputation()
    {
        using var w = tensor(new float[] { 0.5f, -1.0f, 2.0f }).requires_grad_(true);
        using var x = tensor(new float[] { 3.0f, 4.0f, 0.0f });
        using var nll = (w * x).sum();          // ∂/∂w = x, ‖x‖ = 5
        using var g = w.square().sum();         // ∂/∂w = 2w, ‖2w‖ = 2·√5.25
        using var lambda = VqAutoencoderTrainer.AdaptiveWeight(nll, g, w, discWeight: 0.75);
        double expected = 5.0 / (2 * Math.Sqrt(5.25) + 1e-4) * 0.75;
        Assert.AreEqual(expected, lambda.item<float>(), 1e-6);
        Assert.IsFalse(lambda.requires_grad);

        // A generator loss without gradient at the last layer: 5 / 1e-4 = 5e4 is clamped to 1e4.
        using var flat = (w * 0).sum();
        using var clamped = VqAutoencoderTrainer.AdaptiveWeight(nll, flat, w, discWeight: 1.0);
        Assert.AreEqual(1e4, clamped.item<float>(), 1e-2);
    }

    [TestMethod]
    public void Quantize_StraightThrough_GradientReachesEncoderNotCodebook()
    {
        using var model = TinyModel();
        var vq = model.Quantizer;
        using var z = (randn(2, 3, 4, 4) * 0.01).requires_grad_(true);
        using (var q = vq.Quantize(z))
        {
            q.Quant.sum().backward();
            Assert.IsTrue(Same(z.grad!, ones_like(z)), "∂quant/∂z must be the identity (straight-through)");
            Assert.IsTrue(vq.Codebook.grad is null || vq.Codebook.grad.abs().max().item<float>() == 0, "quant must not pass gradient to the codebook");
        }
        z.grad!.zero_();
        // emb_loss = mean((z_q.detach() − z)²) + β·mean((z_q − z.detach())²): ∂/∂z = 2(z − z_q)/N.
        using (var q = vq.Quantize(z))
        {
            q.EmbLoss.backward();
            using var expected = 2 * (z.detach() - q.Quant.detach()) / z.numel();
            Assert.IsTrue(z.grad!.allclose(expected, rtol: 1e-5, atol: 1e-9), "commitment gradient");
            Assert.IsTrue(vq.Codebook.grad!.abs().sum().item<float>() > 0, "the codebook term must reach the codebook");
        }

        // Through the whole autoencoder: the reconstruction loss reaches the encoder's first layer.
        foreach (var p in model.parameters()) p.grad?.zero_();
        using var x = Images(2);
        using var trainer = new VqAutoencoderTrainer(model, new VqAutoencoderTrainerOptions { Discriminator = null, CodebookWeight = 0 });
        using var r = trainer.Compute(x, x, null!, null!);
        r.Loss.backward();
        var convIn = model.named_parameters().First(p => p.name == "encoder.conv_in.weight").parameter;
        Assert.IsTrue(convIn.grad is not null && convIn.grad.abs().sum().item<float>() > 0, "no gradient at encoder.conv_in.weight");
    }

    [TestMethod]
    public void Autoencoder_Gradient_MatchesFiniteDifference()
    {
        // The encoder/decoder use in-place activations; check autograd against a central difference in float64
        // (unquantized path, so the loss is smooth).
        using var model = TinyModel();
        model.to(ScalarType.Float64);
        model.train();
        using var x = Images(1).to(ScalarType.Float64);
        Tensor Loss() => (model.Forward(x, forceNotQuantize: true) - x).square().mean();
        using (var l = Loss()) l.backward();
        var ps = model.parameters().Where(p => p.grad is not null).ToArray();   // the codebook is unused on this path
        using var gen = new Generator(4);
        var dirs = ps.Select(p => randn(p.shape, dtype: ScalarType.Float64, generator: gen)).ToArray();
        double analytic = ps.Zip(dirs).Sum(t => (t.First.grad! * t.Second).sum().item<double>());
        const double eps = 1e-6;
        double Shifted(double s)
        {
            using (no_grad()) foreach (var (p, d) in ps.Zip(dirs)) p.add_(d * s);
            using var l = no_grad();
            using var v = Loss();
            double value = v.item<double>();
            using (no_grad()) foreach (var (p, d) in ps.Zip(dirs)) p.sub_(d * s);
            return value;
        }
        double numeric = (Shifted(eps) - Shifted(-eps)) / (2 * eps);
        Assert.AreEqual(numeric, analytic, 1e-5 * Math.Max(1, Math.Abs(numeric)), $"autograd {analytic}, central difference {numeric}");
        foreach (var d in dirs) d.Dispose();
    }

    static TrainingMicrobatchResult Indices(params long[] codes)
    {
        var loss = zeros([]);
        return new TrainingMicrobatchResult(loss, new Dictionary<string, Tensor>(), new Dictionary<string, Tensor>
        {
            ["indices"] = tensor(codes, [1, 1, codes.Length]),
            ["latent"] = arange(3 * codes.Length, dtype: ScalarType.Float32).view(1, 3, 1, codes.Length) + 100,
        });
    }

    [TestMethod]
    public void CodebookUsage_ConstructedCase_CountsPerplexityAndDeadCodes()
    {
        using (var t = tensor(new long[] { 0, 0, 1, 2 }))
        {
            var u = CodebookUsage.FromIndices([t], 4);
            CollectionAssert.AreEqual(new long[] { 2, 1, 1, 0 }, u.Counts);
            Assert.AreEqual(3, u.CodesUsed);
            Assert.AreEqual(Math.Exp(-(0.5 * Math.Log(0.5) + 2 * 0.25 * Math.Log(0.25))), u.Perplexity, 1e-12);
        }

        using var model = TinyModel(nEmbed: 4);
        using var trainer = new VqAutoencoderTrainer(model, new VqAutoencoderTrainerOptions { Discriminator = null, DeadCodeIterations = 2 });
        trainer.InitializeAuxiliary(CPU, Loop(TempDir("usage"), 3));
        IReadOnlyDictionary<string, double[]> Step(long it, params long[] codes)
        {
            using var m = Indices(codes);
            return trainer.AfterStep(new AuxiliaryStepContext(it, 1e-3, [m], false, 1));
        }
        var s1 = Step(1, 0, 1, 1, 1);
        Assert.AreEqual(2, s1["codes_used"][0]);
        Assert.AreEqual(Math.Exp(-(0.25 * Math.Log(0.25) + 0.75 * Math.Log(0.75))), s1["perplexity"][0], 1e-12);
        Assert.AreEqual(0, s1["dead_codes"][0]);               // codes 2, 3 idle for 1 iteration < 2
        var s2 = Step(2, 0, 0);
        Assert.AreEqual(2, s2["dead_codes"][0]);               // 2 and 3 never used by iteration 2
        Assert.AreEqual(1, s2["perplexity"][0], 1e-12);
        var s3 = Step(3, 0);
        Assert.AreEqual(3, s3["dead_codes"][0]);               // code 1 last used at 1
        CollectionAssert.AreEqual(new[] { 1, 2, 3 }, trainer.DeadCodes(3).ToArray());
    }

    [TestMethod]
    public void RestartDeadCodes_DeadRowsBecomeBatchLatents()
    {
        using var model = TinyModel(nEmbed: 4);
        using var trainer = new VqAutoencoderTrainer(model, new VqAutoencoderTrainerOptions { Discriminator = null, DeadCodeIterations = 1, RestartDeadCodes = true });
        trainer.InitializeAuxiliary(CPU, Loop(TempDir("restart"), 3));
        using var before = model.Quantizer.Codebook.detach().clone();
        using var m = Indices(0, 0, 3);
        var terms = trainer.AfterStep(new AuxiliaryStepContext(1, 1e-3, [m], false, 1));
        Assert.AreEqual(2, terms["codes_restarted"][0]);        // codes 1 and 2 (never used, 1 − 0 ≥ 1)
        var latents = m.Outputs["latent"].permute(0, 2, 3, 1).reshape(-1, 3);
        var cb = model.Quantizer.Codebook.detach();
        foreach (int i in new[] { 1, 2 })
            Assert.IsTrue(Enumerable.Range(0, (int)latents.shape[0]).Any(r => Same(cb[i], latents[r])), $"code {i} is not a batch latent");
        foreach (int i in new[] { 0, 3 }) Assert.IsTrue(Same(cb[i], before[i]), $"used code {i} changed");
        Assert.AreEqual(0, trainer.DeadCodes(1).Count);
    }
}
