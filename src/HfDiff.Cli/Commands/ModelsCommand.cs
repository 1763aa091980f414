using System.CommandLine;
using HfDiff.Torch.Assets;

namespace HfDiff.Cli.Commands;

/// <summary><c>hfdiff models list</c>: which pretrained files are present in the model directory, which are missing, and their sources.</summary>
internal static class ModelsCommand
{
    public static Command Create()
    {
        var models = CliRunner.ModelsOption();
        var list = new Command("list", "Show every pretrained file the toolkit can use, whether it is present, and where it comes from.") { models };
        list.SetAction(parse =>
        {
            var dir = ModelDirectory.Resolve(parse.GetValue(models));
            Console.WriteLine($"model directory: {dir.Root}{(Directory.Exists(dir.Root) ? "" : " (does not exist yet)")}");
            int width = KnownAssets.All.Max(a => a.FileName.Length);
            foreach (var a in KnownAssets.All)
            {
                bool present = File.Exists(dir.PathOf(a.FileName));
                Console.WriteLine($"  {(present ? "present" : "missing"),-8} {a.FileName.PadRight(width)}  {a.UsedBy}  <{a.Source}>");
            }
            return 0;
        });
        return new Command("models", "Pretrained files in the model directory.") { list };
    }
}
