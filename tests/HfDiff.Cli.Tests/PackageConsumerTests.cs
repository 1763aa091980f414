using System.Diagnostics;
using HfDiff.Tests.Common;

namespace HfDiff.Cli.Tests;

/// <summary>
/// A project outside this repository that references the HfDiff.Torch package builds and runs a torch op: the package
/// carries the GLIBCXX_3.4.32 patch (build/ and buildTransitive/HfDiff.Torch.targets), without which libLibTorchSharp.so
/// does not load on a libstdc++ that lacks the version (Debian 12). A correctness test; it takes about a minute.
/// </summary>
[TestClass]
public class PackageConsumerTests
{
    static (int Exit, string Output) Dotnet(string workingDirectory, params string[] args)
    {
        var start = new ProcessStartInfo("dotnet") { WorkingDirectory = workingDirectory, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args) start.ArgumentList.Add(a);
        start.Environment["OMP_NUM_THREADS"] = "1";
        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        using var p = Process.Start(start)!;
        var err = p.StandardError.ReadToEndAsync();
        var output = p.StandardOutput.ReadToEnd();
        if (!p.WaitForExit(TimeSpan.FromMinutes(8))) { p.Kill(true); Assert.Fail($"dotnet {string.Join(" ", args)} did not finish within 8 minutes."); }
        return (p.ExitCode, output + err.Result);
    }

    static bool LooksOffline(string output) =>
        output.Contains("NU1301", StringComparison.Ordinal) || output.Contains("NU1101", StringComparison.Ordinal)
        || output.Contains("Unable to load the service index", StringComparison.Ordinal);

    [TestMethod]
    public void PackedTorchLibrary_ConsumerOutsideRepository_BuildsAndRunsATorchOp()
    {
        var root = TestPaths.RepositoryRoot() ?? throw new AssertFailedException("repository root not found");
        var work = Directory.CreateTempSubdirectory("hfdiff-consumer-").FullName;   // outside the repository: no Directory.Build.* of ours
        var version = $"0.0.0-test.{DateTime.UtcNow:yyyyMMddHHmmss}.{Guid.NewGuid().ToString("N")[..8]}";
        var globalPackages = Environment.GetEnvironmentVariable("NUGET_PACKAGES") is { Length: > 0 } gp ? gp
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
        try
        {
            var feed = Directory.CreateDirectory(Path.Combine(work, "feed")).FullName;
            var pack = Dotnet(root, "pack", Path.Combine(root, "src", "HfDiff.Torch", "HfDiff.Torch.csproj"), "-c", "Release", "-o", feed,
                              $"-p:Version={version}", "-nologo", "-v", "q");
            if (pack.Exit != 0 && LooksOffline(pack.Output)) Assert.Inconclusive("Skipped: packing needs packages that cannot be restored offline.\n" + pack.Output);
            Assert.AreEqual(0, pack.Exit, pack.Output);
            var nupkg = Path.Combine(feed, $"HfDiff.Torch.{version}.nupkg");
            Assert.IsTrue(File.Exists(nupkg), "no package in " + feed);
            using (var zip = System.IO.Compression.ZipFile.OpenRead(nupkg))
            {
                var names = zip.Entries.Select(e => e.FullName).ToList();
                CollectionAssert.Contains(names, "buildTransitive/HfDiff.Torch.targets");
                CollectionAssert.Contains(names, "build/HfDiff.Torch.targets");
            }

            var app = Directory.CreateDirectory(Path.Combine(work, "consumer")).FullName;
            // The local feed plus the user's normal sources (no <clear/>).
            File.WriteAllText(Path.Combine(app, "nuget.config"),
                $"<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<configuration><packageSources><add key=\"hfdiff-test-feed\" value=\"{feed}\" /></packageSources></configuration>\n");
            File.WriteAllText(Path.Combine(app, "Consumer.csproj"), $"""
                <Project Sdk="Microsoft.NET.Sdk">
                  <PropertyGroup>
                    <OutputType>Exe</OutputType>
                    <TargetFramework>net10.0</TargetFramework>
                    <ImplicitUsings>enable</ImplicitUsings>
                  </PropertyGroup>
                  <ItemGroup>
                    <PackageReference Include="HfDiff.Torch" Version="{version}" />
                  </ItemGroup>
                </Project>
                """);
            File.WriteAllText(Path.Combine(app, "Program.cs"), """
                using TorchSharp;
                var device = HfDiff.Torch.TorchDevices.Parse("cpu", "device");
                using var t = torch.ones(2, 2, device: device) + 1;
                Console.WriteLine($"sum {t.sum().item<float>()}");
                """);
            var build = Dotnet(app, "build", "-nologo", "-v", "q");
            if (build.Exit != 0 && LooksOffline(build.Output)) Assert.Inconclusive("Skipped: the consumer's packages cannot be restored offline.\n" + build.Output);
            Assert.AreEqual(0, build.Exit, build.Output);
            var run = Dotnet(app, Path.Combine(app, "bin", "Debug", "net10.0", "Consumer.dll"));
            Assert.AreEqual(0, run.Exit, run.Output);
            StringAssert.Contains(run.Output, "sum 8");
        }
        finally
        {
            try { Directory.Delete(work, true); } catch (IOException) { }
            // The test version must not pile up in the global packages folder.
            var cached = Path.Combine(globalPackages, "hfdiff.torch", version);
            try
            {
                if (Directory.Exists(cached)) Directory.Delete(cached, true);
                var id = Path.GetDirectoryName(cached)!;
                if (Directory.Exists(id) && !Directory.EnumerateFileSystemEntries(id).Any()) Directory.Delete(id);
            }
            catch (IOException) { }
        }
    }
}
