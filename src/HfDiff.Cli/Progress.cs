using System.Diagnostics;
using System.Globalization;

namespace HfDiff.Cli;

/// <summary>
/// Progress of a run over N items, on stderr. On a terminal one line is redrawn in place: <c>scoring [####····] 12/120
/// 10%  3.2/s  ETA 0:34</c>, cut to the terminal's width. When stderr is redirected, or the terminal's width is 0 or
/// unknown, plain lines are printed instead: at each further 10% of the items and at least every 5 seconds of work,
/// plus a last line when all N are done. <see cref="Log"/> prints a line (an error, a result) without garbling the bar.
/// </summary>
internal sealed class Progress : IDisposable
{
    /// <summary>Plain mode: a line at least this often while items complete.</summary>
    public static readonly TimeSpan PlainInterval = TimeSpan.FromSeconds(5);
    /// <summary>Live mode: redraws at most this often (plus the last item).</summary>
    static readonly TimeSpan LiveInterval = TimeSpan.FromMilliseconds(200);

    readonly TextWriter _writer;
    readonly int _width;          // > 0: live line of this width; 0: plain lines
    readonly Func<TimeSpan> _clock;
    readonly string _label;
    readonly long _total;
    readonly Func<double, string> _amount;
    long _done;
    long _baseline;   // done when counting started (a resumed run): the rate counts only this run's items
    int _lastDecile;
    TimeSpan _lastPrint;
    int _drawnLength;
    bool _disposed;

    internal Progress(long total, string label, TextWriter writer, int width, Func<TimeSpan> clock, Func<double, string>? amount = null)
    {
        _total = Math.Max(0, total);
        _amount = amount ?? (v => v.ToString("0.#", CultureInfo.InvariantCulture));
        _label = label;
        _writer = writer;
        _width = width;
        _clock = clock;
        _lastPrint = clock();
    }

    /// <summary>A reporter on stderr: live when stderr is a terminal of known, non-zero width; plain lines otherwise.</summary>
    public static Progress Create(long total, string label, Func<double, string>? amount = null)
    {
        var watch = Stopwatch.StartNew();
        return new Progress(total, label, Console.Error, LiveWidth(), () => watch.Elapsed, amount);
    }

    /// <summary>The terminal width for a live line, or 0 for plain lines (redirected stderr, width 0 or unknown).</summary>
    static int LiveWidth()
    {
        if (Console.IsErrorRedirected) return 0;
        try { return Math.Max(0, Console.WindowWidth); }
        catch (Exception e) when (e is IOException or PlatformNotSupportedException or InvalidOperationException) { return 0; }
    }

    public long Done => _done;

    /// <summary>Extra text after the status (e.g. <c>loss 0.1234</c>), shown from the next report on.</summary>
    public string? Suffix { get; set; }

    /// <summary>A resumed run: <paramref name="done"/> items were done before; rate and ETA count from here.</summary>
    public void StartAt(long done)
    {
        _done = _baseline = Math.Clamp(done, 0, _total);
        _lastDecile = _total == 0 ? 10 : (int)(10L * _done / _total);
    }

    /// <summary>Counts <paramref name="items"/> more done and reports when due.</summary>
    public void Tick(long items = 1) => SetDone(_done + items);

    /// <summary>Sets the amount done (e.g. bytes downloaded) and reports when due.</summary>
    public void SetDone(long done)
    {
        if (_disposed || done == _done) return;
        _done = Math.Clamp(done, 0, _total);
        var now = _clock();
        bool last = _done == _total;
        if (_width > 0)
        {
            if (last || now - _lastPrint >= LiveInterval) { Draw(now); _lastPrint = now; }
            return;
        }
        int decile = _total == 0 ? 10 : (int)(10L * _done / _total);
        if (last || decile > _lastDecile || now - _lastPrint >= PlainInterval)
        {
            _writer.WriteLine(Status(now));
            _lastPrint = now;
            _lastDecile = decile;
        }
    }

    /// <summary>
    /// Prints <paramref name="line"/> on its own line, to <paramref name="to"/> (default: the progress writer, stderr;
    /// pass <c>Console.Out</c> for results) above the live bar, which is redrawn.
    /// </summary>
    public void Log(string line, TextWriter? to = null)
    {
        to ??= _writer;
        if (_width > 0 && _drawnLength > 0)
        {
            Clear();
            to.WriteLine(line);
            to.Flush();
            if (!_disposed) Draw(_clock());
        }
        else to.WriteLine(line);
    }

    /// <summary><c>label n/N p%  r/s  ETA m:ss</c> (no rate and ETA before the first item).</summary>
    internal string Status(TimeSpan now)
    {
        var sb = new System.Text.StringBuilder();
        sb.Append(_label).Append(' ').Append(_amount(_done)).Append('/').Append(_amount(_total));
        if (_total > 0) sb.Append(' ').Append((100L * _done / _total).ToString(CultureInfo.InvariantCulture)).Append('%');
        double seconds = now.TotalSeconds;
        if (_done > _baseline && seconds > 0)
        {
            double rate = (_done - _baseline) / seconds;
            sb.Append("  ").Append(FormatRate(rate, _amount));
            if (_done < _total) sb.Append("  ETA ").Append(FormatDuration(TimeSpan.FromSeconds((_total - _done) / rate)));
            else sb.Append("  in ").Append(FormatDuration(now));
        }
        if (!string.IsNullOrEmpty(Suffix)) sb.Append("  ").Append(Suffix);
        return sb.ToString();
    }

    void Draw(TimeSpan now)
    {
        var status = Status(now);
        // The bar gets what the status leaves of the width (none below 10 columns); the line never exceeds the width.
        int room = _width - 1 - status.Length - 3;
        string line = status;
        if (room >= 10 && _total > 0)
        {
            int barWidth = Math.Min(room, 40);
            int filled = (int)((long)barWidth * _done / _total);
            int space = status.IndexOf(' ');
            line = status[..space] + " [" + new string('#', filled) + new string('.', barWidth - filled) + "]" + status[space..];
        }
        if (line.Length > _width - 1) line = line[..Math.Max(0, _width - 1)];
        _writer.Write("\r" + line + (line.Length < _drawnLength ? new string(' ', _drawnLength - line.Length) : ""));
        _writer.Flush();
        _drawnLength = line.Length;
    }

    void Clear()
    {
        _writer.Write("\r" + new string(' ', _drawnLength) + "\r");
        _drawnLength = 0;
    }

    static string FormatRate(double perSecond, Func<double, string> amount) => perSecond >= 1
        ? (perSecond >= 1024 ? amount(perSecond) : perSecond.ToString("0.0", CultureInfo.InvariantCulture)) + "/s"
        : (1 / perSecond).ToString("0.0", CultureInfo.InvariantCulture) + " s each";

    internal static string FormatDuration(TimeSpan t) => t.TotalHours >= 1
        ? $"{(int)t.TotalHours}:{t.Minutes:00}:{t.Seconds:00}"
        : $"{t.Minutes}:{t.Seconds:00}";

    /// <summary>Live mode: leaves the final status on its own line. Plain mode: nothing more (the last line was printed).</summary>
    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        if (_width > 0 && _drawnLength > 0) _writer.WriteLine();
    }
}
