namespace HfDiff.Cli.Tests;

/// <summary>Runs <c>hfdiff</c> in-process with the console captured (tests run sequentially: DoNotParallelize).</summary>
internal static class CliHarness
{
    public static (int Exit, string Out, string Err) Run(params string[] args)
    {
        var oldOut = Console.Out; var oldErr = Console.Error;
        var o = new StringWriter(); var e = new StringWriter();
        Console.SetOut(o); Console.SetError(e);
        try { return (HfDiffCli.Run(args), o.ToString(), e.ToString()); }
        finally { Console.SetOut(oldOut); Console.SetError(oldErr); }
    }

    /// <summary>A new empty folder under the system temp folder.</summary>
    public static string TempDir(string prefix = "hfdiff-cli")
    {
        var d = Path.Combine(Path.GetTempPath(), $"{prefix}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(d);
        lock (Created) Created.Add(d);
        return d;
    }

    static readonly List<string> Created = [];

    /// <summary>Deletes the folders <see cref="TempDir"/> made (tests that fail midway leave theirs until here).</summary>
    public static void DeleteTempDirs()
    {
        lock (Created)
        {
            foreach (var d in Created)
                try { if (Directory.Exists(d)) Directory.Delete(d, true); }
                catch (IOException) { /* still open elsewhere: leave it */ }
            Created.Clear();
        }
    }
}
