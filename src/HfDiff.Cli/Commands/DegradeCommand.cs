using System.CommandLine;
using HfDiff.Torch.Data.SrPairs;
using HfDiff.Torch.Degradations;

namespace HfDiff.Cli.Commands;

/// <summary>
/// <c>hfdiff degrade --in DIR --out DIR</c>: makes DIV2K-Val / ImageNet-Test style benchmark pairs from any HR folder with
/// Real-ESRGAN's second-order degradation. Writes <c>lq/</c> and <c>gt/</c> with matching PNG names, atomically; each
/// file's seed is derived from --seed and its relative path, so the same seed gives the same bytes in any order.
/// </summary>
internal static class DegradeCommand
{
    public static Command Create()
    {
        var input = new Option<string>("--in") { Description = "Folder of HR images (searched recursively).", Required = true };
        var output = new Option<string>("--out") { Description = "Output folder; lq/ and gt/ are created inside.", Required = true };
        var scale = new Option<int?>("--scale") { Description = "Down-scaling factor (default 4, or the options file's)." };
        var gtSize = new Option<string>("--gt-size") { Description = "GT crop side (seeded crop), or 'none' for the whole image.", DefaultValueFactory = _ => "256" };
        var seed = new Option<long>("--seed") { Description = "Seed of every random draw.", DefaultValueFactory = _ => 0 };
        var options = new Option<string?>("--options") { Description = "Degradation options JSON (Real-ESRGAN option names; flat or model_opts/dataset_opts)." };
        var overwrite = new Option<bool>("--overwrite") { Description = "Replace existing pairs (default: keep them, which resumes a killed run)." };
        var cmd = new Command("degrade", "Make (LQ, GT) benchmark pairs from HR images with the Real-ESRGAN second-order degradation.")
            { input, output, scale, gtSize, seed, options, overwrite };
        cmd.SetAction(parse =>
        {
            var opts = parse.GetValue(options) is { } file ? RealEsrganDegradationOptionsJson.Load(file) : new RealEsrganDegradationOptions();
            if (parse.GetValue(scale) is int s) opts = opts with { Scale = s };
            opts.Validate();
            var sizeText = parse.GetValue(gtSize)!;
            int? size = sizeText.Equals("none", StringComparison.OrdinalIgnoreCase) ? null
                : int.TryParse(sizeText, out var n) && n > 0 ? n
                : throw new CliUsageException($"--gt-size must be a positive number or 'none'; got '{sizeText}'.");
            if (size is int g && g % opts.Scale != 0) throw new CliUsageException($"--gt-size {g} must be a multiple of the scale {opts.Scale}.");
            int minimum;
            using (var degradation = new RealEsrganDegradation(opts)) minimum = degradation.MinimumInputSize;
            if (size is int g2 && g2 < minimum)
                throw new CliUsageException($"--gt-size {g2} is too small for the degradation: the smallest is {(minimum + opts.Scale - 1) / opts.Scale * opts.Scale} " +
                                            $"(a multiple of the scale {opts.Scale} that is at least {minimum}, for the kernels' padding after the worst-case resizes).");
            return Run(parse.GetValue(input)!, parse.GetValue(output)!, opts, size, parse.GetValue(seed), parse.GetValue(overwrite));
        });
        return cmd;
    }

    static int Run(string inDir, string outDir, RealEsrganDegradationOptions options, int? gtSize, long seed, bool overwrite)
    {
        var folder = new HrImageFolder(inDir);
        using var writer = new SrPairWriter(options);
        var lqDir = Path.Combine(outDir, "lq");
        var gtDir = Path.Combine(outDir, "gt");
        int failed = 0, kept = 0;
        var root = Path.GetFullPath(inDir);
        var names = new HashSet<string>(StringComparer.Ordinal);
        using var progress = Progress.Create(folder.Count, "degrading");
        for (int i = 0; i < folder.Count; i++)
        {
            var file = folder.Paths[i];
            var relative = Path.GetRelativePath(root, file);
            var name = Path.ChangeExtension(relative.Replace(Path.DirectorySeparatorChar, '_'), ".png");
            try
            {
                if (!names.Add(name)) throw new IOException($"another input already writes '{name}'.");
                string lq = Path.Combine(lqDir, name), gt = Path.Combine(gtDir, name);
                if (!overwrite && File.Exists(lq) && File.Exists(gt)) { kept++; continue; }
                writer.WriteFile(file, lq, gt, SrPairSeeds.ForFile(seed, relative), gtSize);
            }
            catch (Exception e) when (CliRunner.IsUserError(e))
            {
                failed++;
                progress.Log($"error: {file}: {CliRunner.Message(e)}");
            }
            finally { progress.Tick(); }
        }
        progress.Dispose();
        Console.WriteLine($"done: {folder.Count - failed - kept} pair(s) written, {kept} kept, {failed} failed, into {outDir}");
        return failed > 0 ? 1 : 0;
    }
}
