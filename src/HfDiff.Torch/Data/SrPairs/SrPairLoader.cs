// Training-pair synthesis of xinntao/Real-ESRGAN (commit a4abfb2979a7bbff3f69f58f58ae324608821e27):
// realesrgan/data/realesrgan_dataset.py (__getitem__: read, augment, crop/pad to 400) and
// realesrgan/models/realesrgan_model.py (feed_data: degrade, clamp/round, paired_random_crop, re-sharpen the GT), with
// BasicSR's training DataLoader behaviour (shuffle, drop_last). Paper: Wang et al., "Real-ESRGAN", ICCVW 2021.
using HfDiff.Torch.Degradations;
using static TorchSharp.torch;

namespace HfDiff.Torch.Data.SrPairs;

/// <summary>
/// Yields batches of (LQ, GT) training pairs synthesized on the fly from a folder of HR images with the Real-ESRGAN
/// second-order degradation, as Real-ESRGAN trains (ResShift and SinSR reuse the pipeline with the changes below).
/// <para>
/// Per sample (default <see cref="SrCropMode.RealEsrganCropPad"/>, Real-ESRGAN's dataset): decode the file (RGB, [0, 1]);
/// augment — horizontal flip (<see cref="SrPairLoaderOptions.UseHflip"/>), vertical flip + transpose
/// (<see cref="SrPairLoaderOptions.UseRot"/>); then crop or pad to <see cref="SrPairLoaderOptions.CropPadSize"/>²
/// (400): an image smaller than that on an axis is padded at the bottom/right with OpenCV <c>BORDER_REFLECT_101</c>
/// — repeated mirroring when the pad exceeds the image, as <c>cv2.copyMakeBorder</c> does, so no image is too small
/// to pad (a 1-pixel axis is replicated) — and a larger one is cropped at a random position.
/// Per batch (Real-ESRGAN's <c>feed_data</c>): degrade the <c>(B, 3, 400, 400)</c> stack with
/// <see cref="RealEsrganDegradation"/> (LQ 100², 8-bit levels); crop one random window of
/// <see cref="SrPairLoaderOptions.GtSize"/>² GT / <c>GtSize/Scale</c>² LQ for the whole batch
/// (<c>paired_random_crop</c>); USM-sharpen the cropped GT again for <see cref="SrPairBatch.GtUsm"/>
/// (<see cref="SrPairLoaderOptions.ResharpenGt"/>). The training-pair pool (<c>_dequeue_and_enqueue</c>, queue 180)
/// runs in the trainer, after the loader: <see cref="SrPairPool"/>.
/// </para>
/// <para>
/// ResShift's <c>configs/realsr_swinunet_realesrgan256.yaml</c> (and SinSR's <c>configs/SinSR.yaml</c>, same data settings) differs:
/// <c>rescale_gt: True</c> — largest square crop, <c>cv2.INTER_AREA</c> resize to 256, stepwise reflect padding —
/// is <see cref="SrCropMode.ResShiftRescale"/>; <c>use_sharp: False</c> (LQ from the plain GT) is
/// <see cref="SrPairLoaderOptions.LqFromSharpenedGt"/> = false. Not supported (they need changes to
/// <see cref="RealEsrganDegradation"/>): its <c>second_order_prob: 0.5</c> (skip the whole second stage) and
/// <c>blur_kernel_size2: 15</c> (second and sinc kernels of 3..13 padded to 15).
/// </para>
/// <para>
/// Determinism: the epoch order, each sample's flips/crop (keyed by its position in the epoch) and each batch's
/// degradation and paired crop (keyed by the batch index) are drawn from seeds derived from
/// (<see cref="SrPairLoaderOptions.Seed"/>, epoch, index), so two loaders with the same options and files yield
/// bitwise-identical batches whatever the prefetch depth or timing. Unreadable files are skipped (reported by
/// <see cref="HrImageFolder.ImageSkipped"/>, counted in <see cref="SrPairEpochSummary.Skipped"/>), which shifts later
/// samples into earlier batches but leaves every draw of a given sample the same.
/// </para>
/// <para>
/// Threading: with <see cref="SrPairLoaderOptions.PrefetchBatches"/> &gt; 0 a background thread reads and degrades up to
/// that many batches ahead on a bounded queue; breaking out of the enumeration or disposing the loader stops it and
/// disposes batches not handed out. One enumeration at a time per loader. Batches are CPU tensors outside any dispose
/// scope: dispose each batch.
/// </para>
/// </summary>
public sealed class SrPairLoader : IDisposable
{
    static readonly TimeSpan StopTimeout = TimeSpan.FromMinutes(2);

    readonly RealEsrganDegradation _degradation;
    readonly UsmSharp _usm;
    readonly object _gate = new();
    PrefetchWorker? _worker;
    bool _busy, _workerStuck;
    volatile bool _disposed;

    /// <summary>Lists <paramref name="folder"/> with <see cref="SrPairLoaderOptions.Folder"/> and prepares the degradation.</summary>
    public SrPairLoader(string folder, SrPairLoaderOptions? options = null)
        : this(new HrImageFolder(folder, (options ?? new SrPairLoaderOptions()).Folder), options)
    {
    }

    public SrPairLoader(HrImageFolder images, SrPairLoaderOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(images);
        Options = options ?? new SrPairLoaderOptions();
        Options.Validate();
        Images = images;
        _degradation = new RealEsrganDegradation(Options.Degradation);
        var (name, size) = Options.CropMode == SrCropMode.ResShiftRescale ? ("GtSize", Options.GtSize) : ("CropPadSize", Options.CropPadSize);
        if (size < _degradation.MinimumInputSize)
        {
            _degradation.Dispose();
            throw new ArgumentOutOfRangeException(nameof(options),
                $"{name} must be >= {_degradation.MinimumInputSize} (the smallest input the degradation options allow) with CropMode {Options.CropMode}; got {size}.");
        }
        _usm = new UsmSharp(Options.Degradation.UsmRadius);
    }

    public SrPairLoaderOptions Options { get; }

    /// <summary>The listed images (and the files skipped so far).</summary>
    public HrImageFolder Images { get; }

    /// <summary>Batches of an epoch if no file is skipped: <c>N / BatchSize</c>, rounded down with DropLast, else up.</summary>
    public int BatchesPerEpoch => Options.DropLast ? Images.Count / Options.BatchSize : (Images.Count + Options.BatchSize - 1) / Options.BatchSize;

    /// <summary>Raised after the last batch of each epoch, on the producing thread (the prefetch worker when prefetching).</summary>
    public event Action<SrPairEpochSummary>? EpochCompleted;

    /// <summary>The batches of one epoch.</summary>
    /// <exception cref="InvalidOperationException">(while enumerating) No batch could be made: every file is unreadable or fewer readable files than a batch with DropLast.</exception>
    public IEnumerable<SrPairBatch> Epoch(int epoch)
    {
        if (epoch < 0) throw new ArgumentOutOfRangeException(nameof(epoch), $"epoch must be >= 0; got {epoch}.");
        return Enumerate(epoch, 1);
    }

    /// <summary>An endless stream of batches, epoch after epoch from <paramref name="startEpoch"/> (ResShift's wrapped loader).</summary>
    public IEnumerable<SrPairBatch> Batches(int startEpoch = 0)
    {
        if (startEpoch < 0) throw new ArgumentOutOfRangeException(nameof(startEpoch), $"startEpoch must be >= 0; got {startEpoch}.");
        return Enumerate(startEpoch, null);
    }

    IEnumerable<SrPairBatch> Enumerate(int startEpoch, int? epochs)
    {
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (_busy) throw new InvalidOperationException("SrPairLoader supports one enumeration at a time; finish or dispose the previous enumerator first.");
            _busy = true;
        }
        try
        {
            if (Options.PrefetchBatches == 0)
            {
                foreach (var b in Produce(startEpoch, epochs, CancellationToken.None))
                {
                    ObjectDisposedException.ThrowIf(_disposed, this);
                    yield return b;
                }
                yield break;
            }
            var worker = new PrefetchWorker(ct => Produce(startEpoch, epochs, ct), Options.PrefetchBatches);
            lock (_gate) _worker = worker;
            try
            {
                while (worker.TryTake(out var batch)) yield return batch!;
                // The worker ends quietly when Dispose cancels it; tell the consumer why the stream stopped.
                ObjectDisposedException.ThrowIf(_disposed, this);
            }
            finally
            {
                StopWorker(worker);
            }
        }
        finally
        {
            lock (_gate) _busy = false;
        }
    }

    void StopWorker(PrefetchWorker worker)
    {
        bool exited = worker.Stop(StopTimeout);
        lock (_gate)
        {
            if (ReferenceEquals(_worker, worker)) _worker = null;
            if (!exited) _workerStuck = true;
        }
    }

    /// <summary>The batch stream, made on the calling thread.</summary>
    IEnumerable<SrPairBatch> Produce(int startEpoch, int? epochs, CancellationToken ct)
    {
        for (int e = startEpoch; epochs is null || e < startEpoch + epochs.Value; e++)
        {
            int batches = 0, samples = 0;
            var stats = new EpochStats();
            foreach (var b in ProduceEpoch(e, stats, ct))
            {
                batches++;
                samples += b.Count;
                yield return b;
            }
            EpochCompleted?.Invoke(new SrPairEpochSummary(e, batches, samples, stats.Skipped, stats.Dropped));
            if (batches == 0)
            {
                var reasons = string.Join("; ", Images.Skipped.Take(3).Select(s => $"'{s.Path}': {s.Reason}"));
                throw new InvalidOperationException(
                    $"Epoch {e} of '{Images.Root}' produced no batch: {Images.Count - stats.Skipped} of {Images.Count} images are readable, " +
                    $"BatchSize is {Options.BatchSize} (DropLast {Options.DropLast}).{(stats.Skipped > 0 ? $" Skipped: {reasons}{(stats.Skipped > 3 ? " …" : "")}" : "")}");
            }
        }
    }

    sealed class EpochStats
    {
        public int Skipped, Dropped;
    }

    IEnumerable<SrPairBatch> ProduceEpoch(int epoch, EpochStats stats, CancellationToken ct)
    {
        var order = EpochOrder(epoch);
        var pending = new List<(Tensor Image, string Path)>(Options.BatchSize);
        int batchIndex = 0;
        try
        {
            for (int pos = 0; pos < order.Length; pos++)
            {
                ct.ThrowIfCancellationRequested();
                ObjectDisposedException.ThrowIf(_disposed, this);
                int index = order[pos];
                if (!Images.TryRead(index, out var raw))
                {
                    stats.Skipped++;
                    continue;
                }
                using (raw) pending.Add((PrepareSample(raw!, epoch, pos), Images.Paths[index]));
                if (pending.Count == Options.BatchSize)
                {
                    var batch = MakeBatch(epoch, batchIndex++, pending);
                    DisposeAll(pending);
                    yield return batch;
                }
            }
            if (pending.Count > 0)
            {
                if (Options.DropLast) stats.Dropped = pending.Count;
                else
                {
                    ct.ThrowIfCancellationRequested();
                    ObjectDisposedException.ThrowIf(_disposed, this);
                    var batch = MakeBatch(epoch, batchIndex, pending);
                    DisposeAll(pending);
                    yield return batch;
                }
            }
        }
        finally
        {
            DisposeAll(pending);
        }
    }

    static void DisposeAll(List<(Tensor Image, string Path)> items)
    {
        foreach (var (t, _) in items) t.Dispose();
        items.Clear();
    }

    /// <summary>The file indices of an epoch: sorted, or a seeded Fisher–Yates shuffle.</summary>
    int[] EpochOrder(int epoch)
    {
        var order = Enumerable.Range(0, Images.Count).ToArray();
        if (!Options.Shuffle) return order;
        var rng = new DegradationRandom(SrPairSeeds.Derive(Options.Seed, epoch, SrPairSeeds.ShuffleStream));
        for (int i = order.Length - 1; i > 0; i--)
        {
            int j = rng.NextIndex(i + 1);
            (order[i], order[j]) = (order[j], order[i]);
        }
        return order;
    }

    /// <summary>Augment then crop/pad one decoded image <c>(1, 3, H, W)</c> to <c>(1, 3, CropPadSize, CropPadSize)</c>.</summary>
    Tensor PrepareSample(Tensor image, int epoch, int position)
    {
        using var noGrad = no_grad();
        var rng = new DegradationRandom(SrPairSeeds.Derive(Options.Seed, epoch, position, SrPairSeeds.SampleStream));
        var (augmented, _, _, _) = SrTransforms.Augment(image, rng, Options.UseHflip, Options.UseRot);
        using (augmented)
            return (Options.CropMode == SrCropMode.ResShiftRescale
                ? SrTransforms.RescaleCrop(augmented, Options.GtSize, rng)
                : SrTransforms.CropOrPad(augmented, Options.CropPadSize, rng)).DetachFromDisposeScope();
    }

    SrPairBatch MakeBatch(int epoch, int batchIndex, List<(Tensor Image, string Path)> samples)
    {
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        var gt = cat(samples.Select(s => s.Image).ToArray(), 0);
        var rng = new DegradationRandom(SrPairSeeds.Derive(Options.Seed, epoch, batchIndex, SrPairSeeds.BatchStream));
        var degraded = PairDegrader.Run(_degradation, gt, rng.NextInt64(), Options.LqFromSharpenedGt);
        var (gts, lq) = SrTransforms.PairedRandomCrop([degraded.Gt, degraded.GtUsm], degraded.Lq, Options.GtSize, Options.Scale, rng);
        // PORT-QUIRK(Real-ESRGAN, realesrgan_model.py): feed_data sharpens the GT again after the crop (and the pool), so
        // the USM target of a patch sees reflect padding at the patch border, not the surrounding image. Without
        // ResharpenGt the crop of the image the LQ was made from is kept instead.
        var gtUsm = Options.ResharpenGt ? _usm.Forward(gts[0], Options.Degradation.UsmWeight, Options.Degradation.UsmThreshold) : gts[1];
        // Out of every scope: the batch may cross to another thread, whose scopes must not own (or dispose) it.
        return new SrPairBatch(lq.DetachFromDisposeScope(), gts[0].DetachFromDisposeScope(), gtUsm.DetachFromDisposeScope(),
            samples.Select(s => s.Path).ToArray(), epoch, batchIndex);
    }

    /// <summary>Stops a running prefetch worker (disposing queued batches) and releases the degradation modules.</summary>
    public void Dispose()
    {
        PrefetchWorker? worker;
        lock (_gate)
        {
            if (_disposed) return;
            _disposed = true;
            worker = _worker;
        }
        if (worker is not null) StopWorker(worker);
        // A worker that did not stop in time may still be using the modules: leave them to the finalizers then.
        if (_workerStuck) return;
        _usm.Dispose();
        _degradation.Dispose();
    }
}
