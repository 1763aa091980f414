using System.Diagnostics;
using System.Globalization;

namespace HfDiff.Torch.Training.Core;

/// <summary>
/// The progress lines of an SR training run (<c>hfdiff train</c>, the ML.NET trainers): one plain line — it works when
/// redirected — for the first iteration of a run, every <c>log_every</c>-th, skipped ones, those with a checkpoint and
/// the last. Create it just before <see cref="TrainingLoop.Run"/>; the rate counts from then.
/// </summary>
public sealed class TrainingProgress(int logEvery)
{
    readonly Stopwatch _clock = Stopwatch.StartNew();
    readonly int _logEvery = Math.Max(1, logEvery);
    long _first = -1;

    /// <summary>Iterations done before this run (those of a resumed run), known from the first report on.</summary>
    public long? StartedAfter => _first < 0 ? null : _first;

    /// <summary>The line for <paramref name="r"/> (n/N, it/s, ETA, mean loss, lr, grad norm), or null when it is not reported.</summary>
    public string? Line(TrainingIterationReport r)
    {
        if (_first < 0) _first = r.Iteration - 1;
        bool report = r.Iteration % _logEvery == 0 || r.Iteration == r.TotalIterations || r.Iteration == _first + 1 || r.Skipped || r.CheckpointPath is not null;
        return report ? Format(r, r.Iteration - _first, _clock.Elapsed.TotalSeconds) : null;
    }

    /// <summary>The term name of the back-propagated loss when it differs from the reference <c>loss</c> (extra terms).</summary>
    public const string TotalTerm = "total";

    static string Format(TrainingIterationReport r, long done, double seconds)
    {
        double ips = seconds > 0 ? done / seconds : 0;
        var eta = ips > 0 ? TimeSpan.FromSeconds((r.TotalIterations - r.Iteration) / ips) : TimeSpan.Zero;
        string Mean(string term)
        {
            var values = r.Micro.SelectMany(m => m.Terms.TryGetValue(term, out var v) ? v : []).ToArray();
            return values.Length == 0 ? "-" : values.Average().ToString("F5", CultureInfo.InvariantCulture);
        }
        // "total" (reference loss plus weighted extra terms, what is back-propagated) is shown when an objective reports it.
        bool hasTotal = r.Micro.Any(m => m.Terms.ContainsKey(TotalTerm));
        var line = string.Create(CultureInfo.InvariantCulture,
            $"iter {r.Iteration}/{r.TotalIterations}  {ips:F2} it/s  ETA {(int)eta.TotalHours:D2}:{eta.Minutes:D2}:{eta.Seconds:D2}  loss {Mean("loss")}{(hasTotal ? "  total " + Mean(TotalTerm) : "")}  lr {r.LearningRate:G4}  grad {r.GradNorm:G4}");
        if (r.Skipped) line += $"  SKIPPED ({r.SkipReason})";
        if (r.CheckpointPath is not null) line += $"  checkpoint {Path.GetFileName(r.CheckpointPath)}";
        return line;
    }
}
