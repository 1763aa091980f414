using System.Text.RegularExpressions;
using HfDiff.Tests.Common;

namespace HfDiff.Cli.Tests;

/// <summary>The README's C# is the sample programs the solution builds, character for character.</summary>
[TestClass]
public class ReadmeSamplesTests
{
    [TestMethod]
    public void Readme_EachCSharpBlock_IsTheSampleProgramItNames()
    {
        var root = TestPaths.RepositoryRoot() ?? throw new AssertFailedException("repository root not found");
        var readme = File.ReadAllText(Path.Combine(root, "README.md")).Replace("\r\n", "\n");
        var blocks = Regex.Matches(readme, "```csharp\n(.*?)```", RegexOptions.Singleline).Select(m => m.Groups[1].Value.TrimEnd('\n')).ToList();
        Assert.IsNotEmpty(blocks, "no C# block in README.md");
        var samples = Directory.GetFiles(Path.Combine(root, "samples"), "Program.cs", SearchOption.AllDirectories)
            .ToDictionary(p => Path.GetRelativePath(root, p).Replace('\\', '/'), p => File.ReadAllText(p).Replace("\r\n", "\n").TrimEnd('\n'));
        foreach (var block in blocks)
        {
            var match = samples.Where(s => s.Value == block).Select(s => s.Key).FirstOrDefault();
            Assert.IsNotNull(match, "README C# block is not a sample program verbatim:\n" + block[..Math.Min(300, block.Length)]);
            StringAssert.Contains(readme, $"`{match}`", $"README does not name {match}");
            Assert.IsTrue(File.ReadAllText(Path.Combine(root, "HfDiff.MLNet.sln")).Contains(Path.GetFileName(Path.GetDirectoryName(match)!) + ".csproj"),
                $"{match}: its project is not in HfDiff.MLNet.sln");
        }
    }

    [TestMethod]
    public void Samples_EachProjectIsInTheSolution()
    {
        var root = TestPaths.RepositoryRoot() ?? throw new AssertFailedException("repository root not found");
        var sln = File.ReadAllText(Path.Combine(root, "HfDiff.MLNet.sln")).Replace('\\', '/');
        var projects = Directory.GetFiles(Path.Combine(root, "samples"), "*.csproj", SearchOption.AllDirectories)
            .Select(p => Path.GetRelativePath(root, p).Replace('\\', '/')).ToList();
        Assert.IsNotEmpty(projects, "no sample project");
        foreach (var project in projects)
            StringAssert.Contains(sln, $"\"{project}\"", $"{project} is not built by HfDiff.MLNet.sln");
    }
}
