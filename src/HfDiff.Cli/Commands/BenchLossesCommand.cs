using System.CommandLine;
using System.Globalization;
using HfDiff.Torch.Archs.Dinov2;
using HfDiff.Torch.Archs.HfDiff;
using HfDiff.Torch.Losses;
using HfDiff.Torch.Losses.Perceptual;
using TorchSharp;
using HfDiff.Torch.Archs.Vgg;
using static TorchSharp.torch;

namespace HfDiff.Cli.Commands;

/// <summary><c>hfdiff bench losses</c>: forward + backward time of each HF-Diff loss with random, frozen networks.</summary>
internal static partial class BenchCommand
{
    const long BenchSeed = 20260101;

    static Command LossesCommand()
    {
        var batch = new Option<int>("--batch") { Description = "Images per SR/GT batch.", DefaultValueFactory = _ => 4 };
        var size = new Option<int>("--size") { Description = "Side of the square SR/GT images (multiple of 4; VQ latents are size/4).", DefaultValueFactory = _ => 256 };
        var runs = RunsOption(3);
        var threads = ThreadsOption();
        var cmd = new Command("losses",
            "Time forward + backward (gradient to SR only) of the HF-Diff losses with seeded random full-size networks; no checkpoints needed.")
            { batch, size, runs, threads };
        cmd.SetAction(parse =>
        {
            ApplyThreads(parse.GetValue(threads));
            int b = parse.GetValue(batch), n = parse.GetValue(size), r = parse.GetValue(runs);
            if (b < 1) throw new CliUsageException($"--batch must be >= 1; got {b}.");
            // 28: two DINOv2 patches after resizing to a multiple of 14; also leaves VGG's relu4_3 (3 pools) a 3x3 map.
            if (n < 28 || n % 4 != 0) throw new CliUsageException($"--size must be a multiple of 4 and >= 28; got {n}.");
            if (r < 1) throw new CliUsageException($"--runs must be >= 1; got {r}.");
            torch.random.manual_seed(BenchSeed);
            var gen = new Generator(seed: BenchSeed);
            using var gt = rand([b, 3, n, n], generator: gen);
            using var sr = (gt + 0.05 * randn([b, 3, n, n], generator: gen)).clamp(0, 1);
            using var gtLatent = randn([b, 3, n / 4, n / 4], generator: gen);
            using var srLatent = gtLatent + 0.1 * randn([b, 3, n / 4, n / 4], generator: gen);
            var vitS = DinoVisionTransformerOptions.VitS14;
            using var gtEmbedding = randn([b, vitS.EmbedDim], generator: gen);
            using var srEmbedding = gtEmbedding + 0.1 * randn([b, vitS.EmbedDim], generator: gen);

            Console.WriteLine($"SR/GT batch ({b},3,{n},{n}), latents ({b},3,{n / 4},{n / 4}); forward + backward, {r} runs after one warm-up");
            using var dino = Frozen(new DinoVisionTransformer(vitS));
            var dml = new DistributionMatchingLoss(dino);
            // DML's default preprocessing expects [-1, 1] (SinSR pixel convention); the mapping is part of the timed graph.
            TimeLoss("dml-dinov2-vits14", b, r, sr, gt, (s, g) => dml.Compute(s * 2 - 1, g * 2 - 1));

            using var inn = Frozen(new HfDiffInnFeatureExtractor());
            var hfRgb = new HighFrequencyPerceptualLoss(inn, new HighFrequencyPerceptualLossOptions { Domain = HighFrequencyLossDomain.Rgb });
            TimeLoss($"hf-inn-rgb N{inn.Options.Channels}K{inn.Options.NumNodes}", b, r, sr, gt, hfRgb.Compute);
            var hfLatent = new HighFrequencyPerceptualLoss(inn, new HighFrequencyPerceptualLossOptions { Domain = HighFrequencyLossDomain.VqLatent });
            TimeLoss($"hf-inn-latent N{inn.Options.Channels}K{inn.Options.NumNodes}", b, r, srLatent, gtLatent, hfLatent.Compute);

            using var vgg = new VggPerceptualLoss(Frozen(new Vgg16Features()), ownsNetwork: true);
            TimeLoss("vgg16-perceptual", b, r, sr, gt, vgg.Compute);

            TimeLoss($"js-divergence D{vitS.EmbedDim}", b, r, srEmbedding, gtEmbedding, (s, g) => JsDivergence.BatchMean(s, g));

            Console.WriteLine("sinsr-distillation skipped: it runs the full teacher UNet for every timestep plus the VQ encoder and the " +
                              "student 3-4 times per batch, far too slow on CPU for a loss benchmark (time `bench sr` for the networks).");
            Console.WriteLine($"peak RSS: {BenchTimer.PeakRssBytes() / (1024.0 * 1024):F0} MiB");
            return 0;
        });
        return cmd;
    }

    static T Frozen<T>(T module) where T : nn.Module
    {
        foreach (var p in module.parameters()) p.requires_grad = false;
        module.eval();
        return module;
    }

    /// <summary>Times loss(sr, gt).backward() with gradient to a leaf copy of <paramref name="sr"/> (as the generator's output in training).</summary>
    static void TimeLoss(string name, int batch, int runs, Tensor sr, Tensor gt, Func<Tensor, Tensor, Tensor> loss)
    {
        using var leaf = sr.detach().clone().requires_grad_(true);
        double value = 0;
        var stats = BenchTimer.Time(runs, () =>
        {
            using var scope = NewDisposeScope();
            var l = loss(leaf, gt);
            l.backward();
            value = l.item<float>();
            leaf.grad?.zero_();
        });
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{name,-22} {stats}   {batch * 1000.0 / stats.Median,8:F2} pairs/s   loss {value:G6}"));
    }
}
