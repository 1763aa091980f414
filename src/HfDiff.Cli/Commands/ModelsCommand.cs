using System.CommandLine;
using System.Globalization;
using HfDiff.Torch.Assets;

namespace HfDiff.Cli.Commands;

/// <summary>
/// <c>hfdiff models list</c>: which pretrained files are present in the model directory, which are missing, and their sources.
/// <c>hfdiff models fetch NAME…</c>: download files (by file name, alias or <c>all</c>) into the model directory.
/// </summary>
internal static class ModelsCommand
{
    public static Command Create() => new("models", "Pretrained files in the model directory.") { CreateList(), CreateFetch() };

    static Command CreateList()
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
        return list;
    }

    static Command CreateFetch()
    {
        var names = new Argument<string[]>("NAME")
        {
            Arity = ArgumentArity.OneOrMore,
            Description = $"File names (see 'models list'), aliases ({string.Join(", ", AssetAliases.Table.Select(t => t.Alias))}) or '{AssetAliases.All}'.",
        };
        var models = CliRunner.ModelsOption();
        var mirror = new Option<string?>("--mirror")
        {
            Description = $"Fetch each file from URL/<file name> instead of its official URL (else ${AssetDownloader.MirrorEnvironmentVariable}).",
            HelpName = "URL",
        };
        var fetch = new Command("fetch",
            "Download pretrained files into the model directory: resumes partial downloads (<file>.part), checks SHA-256 when known, "
            + "places each file only when complete.") { names, models, mirror };
        fetch.SetAction(parse =>
        {
            var assets = AssetAliases.Resolve(parse.GetValue(names) ?? []);
            var dir = ModelDirectory.Resolve(parse.GetValue(models));
            return Fetch(assets, dir, AssetDownloader.ResolveMirror(parse.GetValue(mirror)));
        });
        return fetch;
    }

    static int Fetch(IReadOnlyList<ModelAsset> assets, ModelDirectory dir, string? mirror)
    {
        using var downloader = new AssetDownloader(mirror);
        Console.WriteLine($"model directory: {dir.Root}{(downloader.Mirror is null ? "" : $" (mirror {downloader.Mirror})")}");
        int width = assets.Max(a => a.FileName.Length);
        int fetched = 0, present = 0, failed = 0;
        foreach (var asset in assets)
        {
            try
            {
                bool wasPresent = File.Exists(dir.PathOf(asset.FileName));
                string path;
                if (wasPresent) path = downloader.Download(asset, dir);
                else
                {
                    Console.Error.WriteLine($"fetching {asset.FileName} from {downloader.UrlOf(asset)}");
                    using var progress = ByteProgress.Create(asset.FileName);
                    path = downloader.Download(asset, dir, progress);
                }
                var size = FormatSize(new FileInfo(path).Length);
                var check = asset.Sha256 is null ? "" : ", SHA-256 ok";
                Console.WriteLine($"  {(wasPresent ? "present" : "fetched"),-8} {asset.FileName.PadRight(width)}  {size}{check}");
                if (wasPresent) present++; else fetched++;
            }
            catch (Exception e) when (CliRunner.IsUserError(e))
            {
                failed++;
                Console.Error.WriteLine($"error: {e.Message}");
            }
        }
        Console.WriteLine($"done: {fetched} fetched, {present} already present, {failed} failed.");
        return failed > 0 ? 1 : 0;
    }

    static string FormatSize(long bytes) => bytes switch
    {
        < 1024 => $"{bytes} B",
        < 1024 * 1024 => (bytes / 1024.0).ToString("0.0 'KB'", CultureInfo.InvariantCulture),
        < 1024L * 1024 * 1024 => (bytes / (1024.0 * 1024)).ToString("0.0 'MB'", CultureInfo.InvariantCulture),
        _ => (bytes / (1024.0 * 1024 * 1024)).ToString("0.00 'GB'", CultureInfo.InvariantCulture),
    };

    /// <summary>Download progress of one file on stderr (a live line on terminals, plain lines otherwise; see <see cref="Progress"/>).</summary>
    sealed class ByteProgress(string name) : IProgress<(long Done, long? Total)>, IDisposable
    {
        Progress? _progress;
        long _lastUnknown = -1;

        public static ByteProgress Create(string name) => new(name);

        public void Report((long Done, long? Total) value)
        {
            var (done, total) = value;
            if (total is long t && t > 0)
            {
                _progress ??= Progress.Create(t, name, v => FormatSize((long)v));
                _progress.SetDone(done);
            }
            else if (done - _lastUnknown >= 16L << 20 || _lastUnknown < 0)
            {
                // Unknown size: a plain line every 16 MB.
                _lastUnknown = done;
                Console.Error.WriteLine($"{name} {FormatSize(done)}");
            }
        }

        public void Dispose() => _progress?.Dispose();
    }
}
