return HfDiff.Cli.HfDiffCli.Run(args);
