using HfDiff.Torch.Data.SrPairs;
using HfDiff.Torch.Training.Core;
using static TorchSharp.torch;

namespace HfDiff.Torch.Training.VqAutoencoder;

/// <summary>
/// Random square crops of an HR folder for autoencoder training, mapped to [−1, 1]. Batch p, row k takes image, crop
/// position and flip from seeds derived from (seed, p, k), so a batch depends only on its position (exact resume).
/// Images smaller than the crop are reflect-padded at the bottom/right; unreadable images are skipped (the next one is
/// taken). <c>Lq</c> is the same tensor as <c>Gt</c> (an alias; the autoencoder has no low-quality input).
/// </summary>
public sealed class HrCropBatchSource : ITrainingBatchSource
{
    readonly HrImageFolder _folder;
    readonly int _batch, _crop;
    readonly long _seed;

    public HrCropBatchSource(HrImageFolder folder, int batch, int cropSize, long seed)
    {
        _folder = folder ?? throw new ArgumentNullException(nameof(folder));
        if (batch < 1) throw new ArgumentOutOfRangeException(nameof(batch), batch, $"batch must be >= 1; got {batch}.");
        if (cropSize < 1) throw new ArgumentOutOfRangeException(nameof(cropSize), cropSize, $"cropSize must be >= 1; got {cropSize}.");
        (_batch, _crop, _seed) = (batch, cropSize, seed);
    }

    public long Position { get; private set; }

    public void Restore(long position) => Position = position;

    public (Tensor Gt, Tensor Lq) Next()
    {
        long p = Position++;
        Tensor gt;
        using (var scope = NewDisposeScope())
        {
            var rows = new Tensor[_batch];
            for (int k = 0; k < _batch; k++) rows[k] = Crop(p, k);
            gt = (cat(rows, 0) * 2 - 1).MoveToOuterDisposeScope();
        }
        return (gt, gt.alias());
    }

    static ulong U(long v) => unchecked((ulong)v);

    Tensor Crop(long p, int k)
    {
        int n = _folder.Count;
        int start = (int)(U(SrPairSeeds.Derive(_seed, p, k, 0)) % (ulong)n);
        for (int tries = 0; tries < n; tries++)
        {
            int index = (start + tries) % n;
            if (!_folder.TryRead(index, out var image)) continue;
            using (image)
            {
                var x = image!;
                int h = (int)x.shape[2], w = (int)x.shape[3];
                if (h < _crop || w < _crop)
                {
                    x = SrTransforms.PadReflect101(x, Math.Max(0, _crop - h), Math.Max(0, _crop - w));
                    h = (int)x.shape[2]; w = (int)x.shape[3];
                }
                int top = (int)(U(SrPairSeeds.Derive(_seed, p, k, 1)) % (ulong)(h - _crop + 1));
                int left = (int)(U(SrPairSeeds.Derive(_seed, p, k, 2)) % (ulong)(w - _crop + 1));
                var c = x.narrow(2, top, _crop).narrow(3, left, _crop);
                if ((SrPairSeeds.Derive(_seed, p, k, 3) & 1) == 1) c = c.flip(3);
                return c.contiguous();
            }
        }
        throw new InvalidOperationException($"No image of '{_folder.Root}' could be read ({_folder.SkippedCount} skipped).");
    }
}
