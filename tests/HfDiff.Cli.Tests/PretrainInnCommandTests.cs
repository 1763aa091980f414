using HfDiff.Torch.Imaging;

namespace HfDiff.Cli.Tests;

[TestClass]
public class PretrainInnCommandTests
{
    /// <summary>Two classes of 32×32 images: flat colours vs stripes.</summary>
    static string ClassFolders(int perClass)
    {
        var root = CliHarness.TempDir("hfdiff-cli-inn");
        var rnd = new Random(4);
        foreach (var cls in new[] { "flat", "stripes" })
        {
            Directory.CreateDirectory(Path.Combine(root, cls));
            for (int i = 0; i < perClass; i++)
            {
                var rgb = new byte[32 * 32 * 3];
                byte c = (byte)rnd.Next(256);
                for (int p = 0; p < 32 * 32; p++)
                    for (int ch = 0; ch < 3; ch++)
                        rgb[3 * p + ch] = cls == "flat" ? c : (byte)(((p % 32) / 2 % 2) * 255);
                ImageIO.WritePng(rgb, 32, 32, Path.Combine(root, cls, $"{i}.png"));
            }
        }
        return root;
    }

    [TestMethod]
    public void PretrainInn_ShortRun_WritesWeightsAndResumes()
    {
        string train = ClassFolders(4), val = ClassFolders(2), output = CliHarness.TempDir("hfdiff-cli-inn-out");
        string[] Args(int iterations) => ["pretrain-inn", "--train", train, "--val", val, "--out", output, "--crop", "32", "--nodes", "1",
            "--batch-size", "4", "--epochs", "1", "--max-iterations", iterations.ToString(), "--checkpoint-every", "1", "--seed", "3"];
        var first = CliHarness.Run(Args(1));
        Assert.AreEqual(0, first.Exit, first.Err + first.Out);
        Assert.IsTrue(Directory.GetFiles(output, "*.safetensors").Length == 1, "final weights written: " + string.Join(", ", Directory.GetFiles(output)));
        var second = CliHarness.Run(Args(2));
        Assert.AreEqual(0, second.Exit, second.Err + second.Out);
        StringAssert.Contains(second.Out, "resumed at iteration 1");
        foreach (var d in new[] { train, val, output }) Directory.Delete(d, true);
    }

    [TestMethod]
    public void PretrainInn_MissingTrainFolder_ErrorNamesIt()
    {
        var missing = Path.Combine(Path.GetTempPath(), $"hfdiff-missing-{Guid.NewGuid():N}");
        var (exit, _, err) = CliHarness.Run("pretrain-inn", "--train", missing, "--out", CliHarness.TempDir());
        Assert.AreEqual(2, exit);
        StringAssert.Contains(err, missing);
    }
}
