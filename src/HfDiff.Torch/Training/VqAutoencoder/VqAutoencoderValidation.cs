using System.Globalization;
using HfDiff.Torch.Archs.ResShift;
using HfDiff.Torch.Data.SrPairs;
using HfDiff.Torch.Imaging;
using HfDiff.Torch.Metrics;
using static TorchSharp.torch;

namespace HfDiff.Torch.Training.VqAutoencoder;

/// <summary>Reconstruction scores of one validation pass: means and per-image values (Y of YCbCr, as <c>hfdiff eval</c>).</summary>
public sealed record VqValidationResult(double PsnrY, double SsimY, IReadOnlyList<(string Image, double PsnrY, double SsimY)> Images);

/// <summary>
/// Validation of an autoencoder on a folder of GT images: each image (center-cropped to at most
/// <see cref="MaxSize"/>² and to a multiple of the down factor) is encoded, quantized and decoded; PSNR and SSIM are
/// taken on the Y channel of YCbCr (<see cref="Evaluation.EvalRunner.SettingsFor"/>), and a PNG grid shows input crops
/// (top row) above their reconstructions (bottom row).
/// </summary>
public sealed class VqAutoencoderValidation
{
    readonly HrImageFolder _folder;

    public VqAutoencoderValidation(string gtFolder, int maxImages = 8, int maxSize = 256, int gridImages = 4, int gridCrop = 96)
    {
        _folder = new HrImageFolder(gtFolder);
        if (maxImages < 1) throw new ArgumentOutOfRangeException(nameof(maxImages), maxImages, $"maxImages must be >= 1; got {maxImages}.");
        if (maxSize < 8) throw new ArgumentOutOfRangeException(nameof(maxSize), maxSize, $"maxSize must be >= 8; got {maxSize}.");
        (MaxImages, MaxSize, GridImages, GridCrop) = (maxImages, maxSize, Math.Max(0, gridImages), Math.Max(8, gridCrop));
    }

    public int MaxImages { get; }
    public int MaxSize { get; }
    public int GridImages { get; }
    public int GridCrop { get; }

    static readonly PsnrOptions Psnr = new() { TestYChannel = true, ColorSpace = YChannelColorSpace.YCbCr };
    static readonly SsimOptions Ssim = new() { TestYChannel = true, ColorSpace = YChannelColorSpace.YCbCr };

    /// <summary>Scores <paramref name="model"/> (left in the mode it was in) and writes the grid to <paramref name="gridPath"/> when given.</summary>
    public VqValidationResult Run(VQModelTorch model, string? gridPath = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        bool training = model.training;
        model.eval();
        var device = model.LastLayerWeight.device;
        int f = model.DownFactor;
        var scores = new List<(string, double, double)>();
        var tiles = new List<(Tensor Input, Tensor Rec)>();
        try
        {
            using var noGrad = no_grad();
            for (int i = 0; i < _folder.Count && scores.Count < MaxImages; i++)
            {
                if (!_folder.TryRead(i, out var image)) continue;
                using var scope = NewDisposeScope();
                using var img = image!;
                int h = (int)img.shape[2], w = (int)img.shape[3];
                int ch = Math.Min(h, MaxSize) / f * f, cw = Math.Min(w, MaxSize) / f * f;
                if (ch < f || cw < f) continue;
                var gt = img.narrow(2, (h - ch) / 2, ch).narrow(3, (w - cw) / 2, cw).contiguous();
                var rec = ((model.Forward((gt * 2 - 1).to(device)).clamp(-1, 1) + 1) / 2).cpu();
                // Scores on 8-bit values, as a saved PNG would give.
                var rec8 = rec.mul(255).round().div(255);
                scores.Add((Path.GetRelativePath(_folder.Root, _folder.Paths[i]), Metrics.Psnr.Compute(rec8, gt, Psnr), Metrics.Ssim.Compute(rec8, gt, Ssim)));
                if (tiles.Count < GridImages)
                {
                    int s = Math.Min(GridCrop, Math.Min(ch, cw));
                    Tensor Center(Tensor t) => PadTo(t.narrow(2, (ch - s) / 2, s).narrow(3, (cw - s) / 2, s), GridCrop);
                    tiles.Add((Center(gt).MoveToOuterDisposeScope(), Center(rec).MoveToOuterDisposeScope()));
                }
            }
            if (scores.Count == 0) throw new InvalidOperationException($"No validation image of '{_folder.Root}' could be read and cropped.");
            if (gridPath is not null && tiles.Count > 0)
            {
                using var scope = NewDisposeScope();
                var grid = cat([cat(tiles.Select(t => t.Input).ToArray(), 3), cat(tiles.Select(t => t.Rec).ToArray(), 3)], 2);
                Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(gridPath))!);
                ImageIO.WritePng(grid, gridPath);
            }
        }
        finally
        {
            foreach (var (a, b) in tiles) { a.Dispose(); b.Dispose(); }
            model.train(training);
        }
        return new VqValidationResult(scores.Average(s => s.Item2), scores.Average(s => s.Item3), scores);
    }

    static Tensor PadTo(Tensor t, int size)
    {
        long h = t.shape[2], w = t.shape[3];
        return h == size && w == size ? t : nn.functional.pad(t, [0, size - w, 0, size - h], value: 0.5);
    }

    /// <summary>Appends <c>iteration,psnr_y,ssim_y</c> to a CSV (header written when the file is new).</summary>
    public static void AppendLog(string path, long iteration, VqValidationResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        bool exists = File.Exists(path);
        using var w = new StreamWriter(path, append: true);
        if (!exists) w.WriteLine("iteration,psnr_y,ssim_y,images");
        w.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{iteration},{result.PsnrY:R},{result.SsimY:R},{result.Images.Count}"));
    }
}
