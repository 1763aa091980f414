using System.Globalization;
using System.Text;

namespace HfDiff.Torch.Training.Core;

/// <summary>
/// The per-iteration CSV log (<c>iteration,lr,&lt;term&gt;…,grad_norm,skipped,seconds</c>), one flushed line per
/// iteration. Each term column is the mean of that term over all rows of the iteration (and over the values an
/// <see cref="IAuxiliaryTrainingObjective"/> reports after the step). When a run resumes, rows after
/// the checkpoint's iteration (iterations that will be redone) are dropped first.
/// </summary>
public sealed class TrainingCsvLog : IDisposable
{
    readonly StreamWriter _writer;
    readonly IReadOnlyList<string> _terms;

    public TrainingCsvLog(string path, IReadOnlyList<string> terms, long resumeIteration)
    {
        Path = path;
        _terms = terms;
        var header = string.Join(",", new[] { "iteration", "lr" }.Concat(terms).Concat(["grad_norm", "skipped", "seconds"]));
        var keep = new List<string>();
        if (resumeIteration > 0 && File.Exists(path))
        {
            var lines = File.ReadAllLines(path);
            if (lines.Length > 0 && lines[0] != header)
                throw new InvalidDataException($"'{path}' has the columns '{lines[0]}', expected '{header}'.");
            foreach (var line in lines.Skip(1))
            {
                var first = line.Split(',', 2)[0];
                if (long.TryParse(first, NumberStyles.None, CultureInfo.InvariantCulture, out var it) && it <= resumeIteration) keep.Add(line);
            }
        }
        var dir = System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(path))!;
        Directory.CreateDirectory(dir);
        Imaging.AtomicFile.WriteAllText(path, string.Concat(keep.Prepend(header).Select(l => l + "\n")));
        _writer = new StreamWriter(new FileStream(path, FileMode.Append, FileAccess.Write, FileShare.Read), new UTF8Encoding(false));
    }

    public string Path { get; }

    public void Append(TrainingIterationReport r)
    {
        var sb = new StringBuilder();
        sb.Append(r.Iteration.ToString(CultureInfo.InvariantCulture)).Append(',').Append(F(r.LearningRate));
        foreach (var term in _terms)
        {
            var values = r.Micro.SelectMany(m => m.Terms.TryGetValue(term, out var v) ? v : [])
                          .Concat(r.AuxiliaryTerms.TryGetValue(term, out var a) ? a : []).ToArray();
            sb.Append(',').Append(values.Length == 0 ? "" : F(values.Average()));
        }
        sb.Append(',').Append(F(r.GradNorm)).Append(',').Append(r.Skipped ? '1' : '0').Append(',').Append(r.Seconds.ToString("F4", CultureInfo.InvariantCulture));
        _writer.Write(sb.Append('\n').ToString());
        _writer.Flush();
    }

    static string F(double v) => v.ToString("R", CultureInfo.InvariantCulture);

    public void Dispose() => _writer.Dispose();
}
