using ShellProgressBar;

namespace HfDiff.Cli;

/// <summary>A progress bar on interactive terminals for long runs; plain log lines otherwise.</summary>
internal sealed class Progress : IDisposable
{
    readonly ProgressBar? _bar;
    bool _disposed;

    Progress(ProgressBar? bar) => _bar = bar;

    public static Progress Create(int total, string message) =>
        new(total >= 4 && !Console.IsOutputRedirected && !Console.IsErrorRedirected
            ? new ProgressBar(total, message, new ProgressBarOptions { ProgressCharacter = '─', CollapseWhenFinished = true, DisplayTimeInRealTime = false })
            : null);

    public void Tick() => _bar?.Tick();

    public void Log(string line)
    {
        if (_bar is not null) _bar.WriteErrorLine(line);
        else Console.Error.WriteLine(line);
    }

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        _bar?.Dispose();
    }
}
