using System.CommandLine;
using System.Globalization;
using HfDiff.Torch.Assets;
using HfDiff.Torch.Evaluation;
using HfDiff.Reports;
using HfDiff.Torch.Pipelines;

namespace HfDiff.Cli.Commands;

/// <summary>
/// <c>hfdiff eval --model NAME=SPEC … --dataset NAME=DIR … --out DIR</c>: the papers' comparison tables from one command
/// (SR images, per-image scores, table.md/table.csv/results.json, timing.md, report.html), resumable; and
/// <c>hfdiff eval merge --out DIR</c> for sharded runs.
/// </summary>
internal static class EvalCommand
{
    /// <summary>Environment variables a Kubernetes Indexed Job sets (index) and that our manifest sets (count).</summary>
    public const string ShardIndexVariable = "JOB_COMPLETION_INDEX", ShardCountVariable = "HFDIFF_SHARD_COUNT";

    public static Command Create()
    {
        var model = new Option<string[]>("--model")
        {
            Description = "NAME=SPEC, repeatable. SPEC: bicubic, sinsr, resshift, default (the bundled hfdiff-tiny), a folder of SR images, or UNET.pth[+CONFIG].",
            Required = true, AllowMultipleArgumentsPerToken = false,
        };
        var dataset = new Option<string[]>("--dataset") { Description = "NAME=DIR, repeatable. DIR holds lr/ (or lq/) and optionally gt/.", Required = true };
        var output = new Option<string>("--out") { Description = "Report folder (a second run into it resumes).", Required = true };
        var metrics = new Option<string>("--metrics") { Description = "Comma-separated pyiqa names.", DefaultValueFactory = _ => string.Join(",", EvalOptions.DefaultMetrics) };
        var device = new Option<string>("--device") { Description = "Torch device of the networks and learned metrics.", DefaultValueFactory = _ => "cpu" };
        var shard = new Option<string?>("--shard") { Description = $"i/N: process every N-th image from the i-th (default from ${ShardIndexVariable} and ${ShardCountVariable})." };
        var timingSize = new Option<int>("--timing-size") { Description = "LR side of the inference-time table's input; 0 = no timing.", DefaultValueFactory = _ => 64 };
        var timingRuns = new Option<int>("--timing-runs") { Description = "Timed runs per model (median reported).", DefaultValueFactory = _ => 3 };
        var seed = new Option<long>("--seed") { Description = "Noise seed of the diffusion models (official 12345).", DefaultValueFactory = _ => 12345 };
        var precision = new Option<string>("--precision") { Description = "Arithmetic of the diffusion models: fp32 (default), bf16, fp16 (CUDA) or auto.", DefaultValueFactory = _ => "fp32" };
        var batchSize = new Option<int>("--batch-size")
        {
            Description = "Same-size test images (or tiles of one large image) per network call of the diffusion models; scores are unchanged.",
            DefaultValueFactory = _ => 1,
        };
        var models = CliRunner.ModelsOption();
        var cmd = new Command("eval", "Compare SR models on test sets: SR images, per-image scores, paper-style tables, timing, HTML report.")
            { model, dataset, output, metrics, device, shard, timingSize, timingRuns, seed, precision, batchSize, models };
        cmd.SetAction(parse => Run(parse.GetValue(model)!, parse.GetValue(dataset)!, parse.GetValue(output)!, parse.GetValue(metrics)!,
            parse.GetValue(device)!, parse.GetValue(shard), parse.GetValue(timingSize), parse.GetValue(timingRuns), parse.GetValue(seed),
            UpscaleCommand.ParsePrecision(parse.GetValue(precision)!), parse.GetValue(batchSize), parse.GetValue(models)));

        var mergeOut = new Option<string>("--out") { Description = "The report folder the shards wrote into.", Required = true };
        var merge = new Command("merge", "Combine the shards of a sharded eval run into the tables and report.") { mergeOut };
        merge.SetAction(parse =>
        {
            var r = EvalRunner.Merge(parse.GetValue(mergeOut)!);
            EvalReport.Write(parse.GetValue(mergeOut)!, r);
            PrintSummary(parse.GetValue(mergeOut)!, r);
            return r.Failures.Count > 0 ? 1 : 0;
        });
        cmd.Subcommands.Add(merge);
        return cmd;
    }

    static int Run(string[] modelSpecs, string[] datasetSpecs, string output, string metricList, string device, string? shardText,
                   int timingSize, int timingRuns, long seed, InferencePrecision precision, int batchSize, string? modelsDir)
    {
        var shard = ParseShard(shardText);
        var options = new EvalOptions
        {
            OutputFolder = output,
            Metrics = metricList.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(m => m.ToLowerInvariant()).ToList(),
            Device = device, Models = ModelDirectory.Resolve(modelsDir), Shard = shard,
            TimingLrSize = timingSize, TimingRuns = timingRuns,
        };
        try { options.Validate(); }
        catch (ArgumentException e) { throw new CliUsageException(e.Message.Replace("Metrics", "--metrics").Replace("TimingLrSize", "--timing-size").Replace("TimingRuns", "--timing-runs")); }

        var datasets = datasetSpecs.Select(s => { var (n, d) = EvalModelSpec.Split(s, "dataset"); return EvalDataset.FromFolder(n, d); }).ToList();
        if (batchSize < 1) throw new CliUsageException($"--batch-size must be >= 1; got {batchSize}.");
        var srOptions = new SuperResolverOptions { Device = device, Seed = seed, ModelDirectory = modelsDir, Precision = precision, BatchSize = batchSize };
        var evalModels = new List<IEvalModel>();
        try
        {
            foreach (var s in modelSpecs)
            {
                var (n, spec) = EvalModelSpec.Split(s, "model");
                evalModels.Add(EvalModelSpec.Create(n, spec, srOptions));
            }
            int total = datasets.Sum(d => d.Shard(shard.Index, shard.Count).Images.Count) * evalModels.Count;
            Console.WriteLine($"{evalModels.Count} model(s) × {datasets.Count} dataset(s): {total} image(s){(shard.Count > 1 ? $" in shard {shard.Index}/{shard.Count}" : "")}; output in {output}");
            using var progress = Progress.Create(total, "evaluating");
            var reporter = new SyncProgress<EvalProgress>(p =>
            {
                if (p.Error is not null) progress.Log($"error: {p.Dataset}/{p.Model}/{p.Image}: {p.Error}");
                progress.Tick();
            });
            var results = new EvalRunner(options).Run(datasets, evalModels, reporter);
            progress.Dispose();
            if (shard.Count > 1)
            {
                Console.WriteLine($"shard {shard.Index}/{shard.Count} done; when every shard has finished: hfdiff eval merge --out {output}");
                return results.Failures.Count > 0 ? 1 : 0;
            }
            EvalReport.Write(output, results);
            PrintSummary(output, results);
            return results.Failures.Count > 0 ? 1 : 0;
        }
        finally
        {
            foreach (var m in evalModels) m.Dispose();
        }
    }

    public static (int Index, int Count) ParseShard(string? text)
    {
        if (text is null)
        {
            var idx = Environment.GetEnvironmentVariable(ShardIndexVariable);
            var cnt = Environment.GetEnvironmentVariable(ShardCountVariable);
            if (string.IsNullOrEmpty(idx) && string.IsNullOrEmpty(cnt)) return (0, 1);
            if (string.IsNullOrEmpty(idx) || string.IsNullOrEmpty(cnt))
                throw new CliUsageException($"Set both ${ShardIndexVariable} and ${ShardCountVariable} (or pass --shard i/N).");
            text = idx + "/" + cnt;
        }
        var parts = text.Split('/');
        if (parts.Length != 2 || !int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out int i)
            || !int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out int n) || n < 1 || i >= n)
            throw new CliUsageException($"--shard must be i/N with 0 <= i < N; got '{text}'.");
        return (i, n);
    }

    static void PrintSummary(string output, EvalResults r)
    {
        Console.WriteLine(File.ReadAllText(Path.Combine(output, "table.md")));
        if (r.Timing.Count > 0) Console.WriteLine(File.ReadAllText(Path.Combine(output, "timing.md")));
        Console.WriteLine($"report: {Path.Combine(Path.GetFullPath(output), "report.html")}");
        if (r.Failures.Count > 0) Console.Error.WriteLine($"{r.Failures.Count} image(s) failed.");
    }

    /// <summary>Reports on the caller's thread (Progress&lt;T&gt; would post to the thread pool).</summary>
    sealed class SyncProgress<T>(Action<T> report) : IProgress<T>
    {
        public void Report(T value) => report(value);
    }
}
