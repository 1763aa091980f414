using System.CommandLine;
using System.Text.RegularExpressions;
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
            Console.Error.WriteLine($"error: {Message(e)}");
            return 2;
        }
        catch (System.Runtime.InteropServices.ExternalException e)
        {
            // A libtorch failure: its message's first line, not the native frame dump (HFDIFF_DEBUG=1 shows everything).
            Console.Error.WriteLine($"error: libtorch: {e.Message.Split('\n')[0].TrimEnd('\r')}");
            Console.Error.WriteLine("  (a training run continues from its last checkpoint with --resume; set HFDIFF_DEBUG=1 for the native stack)");
            if (Environment.GetEnvironmentVariable("HFDIFF_DEBUG") is "1" or "true") Console.Error.WriteLine(e);
            return 3;
        }
    }

    /// <summary>API option names (SuperResolverOptions, degradation and training options) and the flags that set them.</summary>
    static readonly (string Api, string Flag)[] Flags =
    [
        ("TileSize", "--tile"), ("TileStride", "--tile-stride"), ("Steps", "--steps"), ("Seed", "--seed"), ("Device", "--device"),
        ("Config", "--config"), ("UnetCheckpoint", "--unet"), ("AutoencoderCheckpoint", "--autoencoder"), ("ModelDirectory", "--models"),
        ("gtSize", "--gt-size"), ("GtSize", "--gt-size"), ("Scale", "--scale"), ("BatchSize", "--batch-size"), ("batchSize", "--batch-size"),
        ("Epochs", "--epochs"), ("LearningRate", "--lr"), ("MaxIterations", "--max-iterations"), ("CheckpointEvery", "--checkpoint-every"),
        ("CropSize", "--crop"), ("TrainFolder", "--train"), ("ValFolder", "--val"), ("OutputFolder", "--out"),
    ];

    /// <summary>
    /// The message a user sees: .NET's " (Parameter 'X')" and "Actual value was N." suffixes dropped, and API option
    /// names replaced by the CLI flags that set them (<c>TileSize must be >= 1</c> → <c>--tile must be >= 1</c>).
    /// </summary>
    public static string Message(Exception e)
    {
        var message = e.Message;
        if (e is ArgumentException a && a.ParamName is { } name)
        {
            int actual = message.IndexOf("\nActual value was ", StringComparison.Ordinal);
            if (e is ArgumentOutOfRangeException && actual < 0) actual = message.IndexOf(Environment.NewLine + "Actual value was ", StringComparison.Ordinal);
            if (actual >= 0) message = message[..actual].TrimEnd('\r');
            var suffix = $" (Parameter '{name}')";
            if (message.EndsWith(suffix, StringComparison.Ordinal)) message = message[..^suffix.Length];
        }
        // Only option errors speak of option names; file and decode errors are left alone (their paths could match a name).
        if (e is not ArgumentException) return message;
        foreach (var (api, flag) in Flags)
            message = Regex.Replace(message, $@"(?<![\w./-]){Regex.Escape(api)}(?![\w/])", flag);
        return message;
    }

    public static bool IsUserError(Exception e) => e is ModelAssetMissingException or ImageDecodeException or CheckpointFormatException
        or FileNotFoundException or DirectoryNotFoundException or ArgumentException or InvalidDataException or IOException or CliUsageException
        or UnauthorizedAccessException or HfDiff.Torch.Configs.SrConfigException
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
