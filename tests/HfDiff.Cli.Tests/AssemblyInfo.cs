// Torch tests share one native runtime, and these tests redirect the console.
[assembly: DoNotParallelize]

namespace HfDiff.Cli.Tests
{
    [TestClass]
    public static class TestAssemblyCleanup
    {
        [AssemblyCleanup]
        public static void DeleteTempDirs() => CliHarness.DeleteTempDirs();
    }
}
