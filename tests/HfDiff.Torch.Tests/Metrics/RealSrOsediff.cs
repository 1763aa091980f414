using System.Globalization;
using HfDiff.Tests.Common;
using HfDiff.Torch.Imaging;
using static TorchSharp.torch;

namespace HfDiff.Torch.Tests.Metrics;

/// <summary>
/// The realsr-osediff data folder: sr/ and gt/ PNGs with the same names and metrics.csv with OSEDiff's published
/// per-image pyiqa 0.1.10 numbers (PSNR/SSIM: test_y_channel=True, color_space='ycbcr'; NIQE defaults on SR only).
/// </summary>
internal static class RealSrOsediff
{
    public sealed record Row(string Image, IReadOnlyDictionary<string, double> Values);

    public static string Dir => TestPaths.Data("realsr-osediff");

    public static IReadOnlyList<Row> Rows()
    {
        var lines = File.ReadAllLines(Path.Combine(Dir, "metrics.csv"));
        var header = lines[0].Split(',');
        var rows = lines.Skip(1).Where(l => !string.IsNullOrWhiteSpace(l)).Select(l =>
        {
            var f = l.Split(',');
            var values = new Dictionary<string, double>();
            for (int i = 1; i < header.Length; i++) values[header[i]] = double.Parse(f[i], CultureInfo.InvariantCulture);
            return new Row(f[0], values);
        }).ToList();
        Assert.IsTrue(rows.Count > 0, "metrics.csv has no rows");
        return rows;
    }

    public static Tensor Sr(string image) => ImageIO.ReadTensor(Path.Combine(Dir, "sr", image));
    public static Tensor Gt(string image) => ImageIO.ReadTensor(Path.Combine(Dir, "gt", image));

    public static double Median(List<double> v)
    {
        v.Sort();
        return v.Count % 2 == 1 ? v[v.Count / 2] : (v[v.Count / 2 - 1] + v[v.Count / 2]) / 2;
    }
}
