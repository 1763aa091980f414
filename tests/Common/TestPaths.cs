using System.Text.Json;

namespace HfDiff.Tests.Common;

/// <summary>
/// Where parity fixtures and real data live. <c>HFDIFF_FIXTURES</c> / <c>HFDIFF_DATA</c> win; when set and the folder is
/// missing the test fails. When unset we look for <c>../shared</c> beside the repository; when that is absent too
/// (a user's clone) the test is skipped with a message.
/// </summary>
public static class TestPaths
{
    public static string FixturesRoot => Resolve("HFDIFF_FIXTURES", "fixtures");
    public static string DataRoot => Resolve("HFDIFF_DATA", "data");

    /// <summary>A fixture folder, e.g. <c>Fixture("iqa")</c>.</summary>
    public static string Fixture(string name)
    {
        var dir = Path.Combine(FixturesRoot, name);
        if (!Directory.Exists(dir)) Assert.Fail($"Fixture folder '{dir}' does not exist.");
        return dir;
    }

    /// <summary>A data folder, e.g. <c>Data("realsr-osediff")</c>.</summary>
    public static string Data(string name)
    {
        var dir = Path.Combine(DataRoot, name);
        if (!Directory.Exists(dir)) Assert.Fail($"Data folder '{dir}' does not exist.");
        return dir;
    }

    static string Resolve(string variable, string sub)
    {
        var env = Environment.GetEnvironmentVariable(variable);
        if (!string.IsNullOrWhiteSpace(env))
        {
            // Relative values (as in README and .ci/run) are taken from the repository root, not the test host's folder.
            var full = Path.IsPathRooted(env) ? env : Path.GetFullPath(Path.Combine(RepositoryRoot() ?? Environment.CurrentDirectory, env));
            if (!Directory.Exists(full)) Assert.Fail($"{variable} is set to '{env}', but that folder does not exist.");
            return full;
        }
        var repo = RepositoryRoot();
        var candidate = repo is null ? null : Path.GetFullPath(Path.Combine(repo, "..", "shared", sub));
        if (candidate is null || !Directory.Exists(candidate))
            Assert.Inconclusive($"Skipped: {variable} is not set and ../shared/{sub} is not beside the repository (parity data is not part of a clone).");
        return candidate!;
    }

    /// <summary>The folder holding HfDiff.MLNet.sln, found upwards from the test binaries.</summary>
    public static string? RepositoryRoot()
    {
        for (var d = new DirectoryInfo(AppContext.BaseDirectory); d is not null; d = d.Parent)
            if (File.Exists(Path.Combine(d.FullName, "HfDiff.MLNet.sln"))) return d.FullName;
        return null;
    }

    /// <summary>Parses a fixture's config.json.</summary>
    public static JsonElement ReadConfig(string fixtureDir)
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(fixtureDir, "config.json")));
        return doc.RootElement.Clone();
    }
}
