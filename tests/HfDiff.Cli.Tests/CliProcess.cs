using System.Diagnostics;

namespace HfDiff.Cli.Tests;

/// <summary>
/// Runs the built <c>hfdiff</c> as a child process (output redirected to pipes), for what the in-process harness cannot
/// see: the native stderr (fd 2) libtorch writes to, and behaviour when output is not a terminal.
/// </summary>
internal static class CliProcess
{
    public static (int Exit, string Out, string Err) Run(IDictionary<string, string?>? environment, params string[] args) =>
        Run(environment, TimeSpan.FromMinutes(5), args);

    /// <summary>Runs hfdiff; the test fails (and the process is killed) when it is still running after <paramref name="timeout"/>.</summary>
    public static (int Exit, string Out, string Err) Run(IDictionary<string, string?>? environment, TimeSpan timeout, params string[] args)
    {
        var dll = Path.Combine(AppContext.BaseDirectory, "hfdiff.dll");
        if (!File.Exists(dll)) Assert.Fail($"'{dll}' is not next to the tests.");
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(dll);
        foreach (var a in args) start.ArgumentList.Add(a);
        start.Environment["OMP_NUM_THREADS"] = "1";
        foreach (var (k, v) in environment ?? new Dictionary<string, string?>()) start.Environment[k] = v;
        using var p = Process.Start(start)!;
        var err = p.StandardError.ReadToEndAsync();
        var output = p.StandardOutput.ReadToEnd();
        if (!p.WaitForExit(timeout)) { p.Kill(true); Assert.Fail($"hfdiff did not finish within {timeout}: " + string.Join(" ", args)); }
        return (p.ExitCode, output, err.Result);
    }

    public static (int Exit, string Out, string Err) Run(params string[] args) => Run(null, args);
}
