using System.CommandLine;
using HfDiff.Cli.Commands;

namespace HfDiff.Cli;

/// <summary>The <c>hfdiff</c> command tree; <see cref="Run"/> is what the executable calls (and what tests call).</summary>
public static class HfDiffCli
{
    public static RootCommand Build()
    {
        var root = new RootCommand("hfdiff — one-step diffusion super-resolution (HF-Diff, SinSR, ResShift) and SR quality metrics on TorchSharp.");
        root.Subcommands.Add(UpscaleCommand.Create());
        root.Subcommands.Add(ScoreCommand.Create());
        root.Subcommands.Add(EvalCommand.Create());
        root.Subcommands.Add(MetricsCommand.Create());
        root.Subcommands.Add(DegradeCommand.Create());
        root.Subcommands.Add(PretrainInnCommand.Create());
        root.Subcommands.Add(TrainCommand.Create());
        root.Subcommands.Add(ModelsCommand.Create());
        root.Subcommands.Add(BenchCommand.Create());
        return root;
    }

    public static int Run(string[] args)
    {
        // Before any convolution: keep libtorch's "Could not initialize NNPACK! Reason: Unsupported hardware." out of
        // the output (printed on CPUs NNPACK does not support); see TorchNative.TryDisableNnpack.
        Torch.TorchNative.TryDisableNnpack();
        // Keep freed feature maps in the heap instead of unmapping and faulting them in again (1.7× for SR on CPU).
        Torch.HeapReuse.TryEnable();
        return CliRunner.Run(Build(), args);
    }
}
