using System.CommandLine;
using HfDiff.Cli;
using HfDiff.Cli.Commands;

var root = new RootCommand("hfdiff — one-step diffusion super-resolution (HF-Diff, SinSR, ResShift) and SR quality metrics on TorchSharp.");
root.Subcommands.Add(ScoreCommand.Create());
root.Subcommands.Add(ModelsCommand.Create());
root.Subcommands.Add(BenchCommand.Create());
root.Subcommands.Add(PretrainInnCommand.Create());
root.Subcommands.Add(UpscaleCommand.Create());
return CliRunner.Run(root, args);
