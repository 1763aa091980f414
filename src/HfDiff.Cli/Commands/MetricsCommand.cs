using System.CommandLine;
using HfDiff.Torch.Assets;
using HfDiff.Torch.Metrics;

namespace HfDiff.Cli.Commands;

/// <summary>
/// <c>hfdiff metrics [--models DIR]</c>: every metric <c>hfdiff score</c> knows, by pyiqa name, with its mode, better
/// direction, default settings, and the files it needs from the model directory (present or missing, and the fetch
/// command for the missing ones).
/// </summary>
internal static class MetricsCommand
{
    const int MaxValueLength = 40;

    public static Command Create()
    {
        var models = CliRunner.ModelsOption();
        var cmd = new Command("metrics", "List the metrics (pyiqa names), their defaults and better direction, and the model files each needs.") { models };
        cmd.SetAction(parse =>
        {
            var dir = ModelDirectory.Resolve(parse.GetValue(models));
            Console.WriteLine($"model directory: {dir.Root}{(Directory.Exists(dir.Root) ? "" : " (does not exist yet)")}");
            var missingAll = new List<ModelAsset>();
            foreach (var name in MetricRegistry.Names)
            {
                var info = MetricRegistry.Describe(name);
                var mode = info.Mode == MetricMode.FullReference ? "full-reference (--gt)" : "no-reference";
                Console.WriteLine($"{name,-10} {mode,-22} {(info.LowerIsBetter ? "lower" : "higher")} is better");
                var defaults = MetricRegistry.DefaultSettings(name).Select(kv => $"{kv.Key}={Shorten(kv.Value)}");
                Console.WriteLine($"{"",-10} defaults: {string.Join(" ", defaults)}");
                if (info.RequiredFiles.Count == 0) Console.WriteLine($"{"",-10} files:    none");
                foreach (var choice in info.RequiredFiles)
                {
                    var present = dir.Find(choice);
                    var names = string.Join(" or ", choice.Select(a => a.FileName));
                    Console.WriteLine($"{"",-10} file:     {names}  {(present is null ? "missing" : $"present ({Path.GetFileName(present)})")}");
                    if (present is null && !missingAll.Contains(choice[0])) missingAll.Add(choice[0]);
                }
            }
            if (missingAll.Count > 0)
                Console.WriteLine($"missing files: {missingAll.Count}; get them with: hfdiff models fetch {string.Join(" ", missingAll.Select(a => a.FileName))}"
                                  + (parse.GetValue(models) is { } m ? $" --models '{dir.Root}'" : ""));
            return 0;
        });
        return cmd;
    }

    static string Shorten(string value) => value.Length <= MaxValueLength ? value : value[..(MaxValueLength - 1)] + "…";
}
