using System.CommandLine;
using HfDiff.Torch.Assets;
using HfDiff.Torch.Imaging;
using HfDiff.Torch.Weights;

namespace HfDiff.Cli;

/// <summary>Runs the parsed command; known failures print their message (no stack trace) and exit non-zero.</summary>
internal static class CliRunner
{
    public static int Run(RootCommand root, string[] args)
    {
        try
        {
            return root.Parse(args).Invoke(new InvocationConfiguration { EnableDefaultExceptionHandler = false });
        }
        catch (Exception e) when (IsUserError(e))
        {
            Console.Error.WriteLine($"error: {e.Message}");
            return 2;
        }
    }

    public static bool IsUserError(Exception e) => e is ModelAssetMissingException or ImageDecodeException or CheckpointFormatException
        or FileNotFoundException or DirectoryNotFoundException or ArgumentException or InvalidDataException or IOException or CliUsageException
        or HfDiff.Torch.Samplers.NonFiniteOutputException
        or Torch.Training.Core.TrainingResumeException or Torch.Training.Core.TrainingDivergedException;

    /// <summary>The model directory option shared by every command that needs pretrained files.</summary>
    public static Option<string?> ModelsOption() => new("--models")
    {
        Description = $"Folder with pretrained files (else ${ModelDirectory.EnvironmentVariable}, else {ModelDirectory.DefaultPath}).",
    };
}

/// <summary>A command-line mistake the user can fix; printed without a stack trace.</summary>
internal sealed class CliUsageException(string message) : Exception(message);
