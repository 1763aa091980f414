using System.Collections.Concurrent;
using HfDiff.Torch.Imaging;
using TorchSharp;
using static TorchSharp.torch;

namespace HfDiff.Torch.Data.Classification;

/// <summary>
/// Batches of an <see cref="ImageClassificationFolder"/>, decoded and transformed on the consumer's thread (default), or
/// on a background task that stays up to <see cref="ClassificationLoaderOptions.PrefetchBatches"/> batches ahead (a
/// bounded <see cref="BlockingCollection{T}"/>) so decoding overlaps the consumer's work (see
/// docs/TORCHSHARP-SCALAR-RACE.md for why that is opt-in).
/// </summary>
/// <remarks>
/// <para>Determinism without global state: the order of epoch <c>e</c> is a Fisher–Yates shuffle driven by
/// <c>new Random(mix(Seed, e))</c>, and sample <c>i</c>'s augmentation in epoch <c>e</c> by <c>new Random(mix(Seed, e, i))</c>
/// (<c>mix</c> = SplitMix64). So a batch depends only on (Seed, epoch, batch index): the worker count does not matter and
/// a resumed run can start at any batch (<see cref="EnumerateEpoch"/>'s <c>firstBatch</c>) without replaying the others.</para>
/// <para>Unreadable files (<see cref="ImageDecodeException"/>: missing, corrupt, truncated, not an image) are left out of
/// their batch, reported once through the callback (on the loader's background thread) and listed in <see cref="Skipped"/>;
/// the epoch goes on. A batch whose images all fail is not yielded.</para>
/// </remarks>
public sealed class ClassificationBatchLoader
{
    const int ShuffleStream = 0, AugmentStream = 1;

    readonly ConcurrentDictionary<string, SkippedImage> _bad = new(StringComparer.Ordinal);
    readonly List<SkippedImage> _skipped = [];
    readonly object _skipLock = new();
    readonly Action<SkippedImage>? _onSkipped;

    public ImageClassificationFolder Folder { get; }
    public ClassificationLoaderOptions Options { get; }
    public ClassificationTransformOptions Transform { get; }
    public ClassificationTransformMode Mode { get; }

    public ClassificationBatchLoader(ImageClassificationFolder folder, ClassificationLoaderOptions? options = null,
        ClassificationTransformOptions? transform = null, ClassificationTransformMode mode = ClassificationTransformMode.Train,
        Action<SkippedImage>? onSkipped = null)
    {
        Folder = folder ?? throw new ArgumentNullException(nameof(folder));
        Options = options ?? new ClassificationLoaderOptions();
        Options.Validate();
        Transform = transform ?? new ClassificationTransformOptions();
        Transform.Validate();
        if (!Enum.IsDefined(mode)) throw new ArgumentOutOfRangeException(nameof(mode), mode, "Unknown transform mode.");
        Mode = mode;
        _onSkipped = onSkipped;
    }

    public int BatchesPerEpoch => Options.DropLast ? Folder.Count / Options.BatchSize : (Folder.Count + Options.BatchSize - 1) / Options.BatchSize;

    /// <summary>Files skipped so far (each once), in the order they were found.</summary>
    public IReadOnlyList<SkippedImage> Skipped { get { lock (_skipLock) return _skipped.ToArray(); } }
    public int SkippedCount { get { lock (_skipLock) return _skipped.Count; } }

    /// <summary>Sample indices of epoch <paramref name="epoch"/> in visiting order.</summary>
    public int[] EpochOrder(int epoch)
    {
        var order = Enumerable.Range(0, Folder.Count).ToArray();
        if (!Options.Shuffle) return order;
        var rng = new Random(MixSeed(Options.Seed, ShuffleStream, epoch, 0));
        for (int i = order.Length - 1; i > 0; i--)
        {
            int j = rng.Next(i + 1);
            (order[i], order[j]) = (order[j], order[i]);
        }
        return order;
    }

    /// <summary>
    /// The batches of one epoch from <paramref name="firstBatch"/> on. Breaking out of the loop (or cancelling) stops the
    /// background decoder and disposes the batches it had queued; an error other than an unreadable image is rethrown here.
    /// </summary>
    public IEnumerable<ClassificationBatch> EnumerateEpoch(int epoch, int firstBatch = 0, CancellationToken cancellationToken = default)
    {
        if (epoch < 0) throw new ArgumentOutOfRangeException(nameof(epoch), epoch, $"epoch must be >= 0; got {epoch}.");
        if (firstBatch < 0 || firstBatch > BatchesPerEpoch)
            throw new ArgumentOutOfRangeException(nameof(firstBatch), firstBatch, $"firstBatch must be in [0, {BatchesPerEpoch}]; got {firstBatch}.");
        return Iterate(epoch, firstBatch, cancellationToken);
    }

    IEnumerable<ClassificationBatch> Iterate(int epoch, int firstBatch, CancellationToken cancellationToken)
    {
        var order = EpochOrder(epoch);
        if (Options.PrefetchBatches == 0)
        {
            // On the consumer's thread (with one worker, no second thread allocates while the consumer is inside libtorch: docs/TORCHSHARP-SCALAR-RACE.md).
            foreach (var batch in Batches(order, epoch, firstBatch, cancellationToken)) yield return batch;
            yield break;
        }
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        using var queue = new BlockingCollection<ClassificationBatch>(Options.PrefetchBatches);
        var producer = Task.Factory.StartNew(() => Produce(queue, order, epoch, firstBatch, stop.Token),
            CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
        try
        {
            foreach (var batch in queue.GetConsumingEnumerable(cancellationToken))
                yield return batch;
            producer.GetAwaiter().GetResult(); // surfaces a decoder failure that ended the epoch early
        }
        finally
        {
            stop.Cancel();
            try { producer.Wait(CancellationToken.None); } catch (AggregateException) { /* reported above or irrelevant after a stop */ }
            while (queue.TryTake(out var left)) left.Dispose();
        }
    }

    /// <summary>The batches of one epoch from <paramref name="firstBatch"/> on, made on the calling thread (unreadable-only batches left out).</summary>
    IEnumerable<ClassificationBatch> Batches(int[] order, int epoch, int firstBatch, CancellationToken token)
    {
        for (int b = firstBatch; b < BatchesPerEpoch; b++)
        {
            token.ThrowIfCancellationRequested();
            if (LoadBatch(order, epoch, b, token) is { } batch) yield return batch;
        }
    }

    void Produce(BlockingCollection<ClassificationBatch> queue, int[] order, int epoch, int firstBatch, CancellationToken token)
    {
        try
        {
            foreach (var batch in Batches(order, epoch, firstBatch, token))
            {
                try { queue.Add(batch, token); }
                catch { batch.Dispose(); throw; }
            }
        }
        catch (OperationCanceledException) when (token.IsCancellationRequested) { /* consumer stopped */ }
        finally { queue.CompleteAdding(); }
    }

    /// <summary>Decodes and transforms batch <paramref name="batchIndex"/> of <paramref name="epoch"/> synchronously (null if all its images are unreadable).</summary>
    public ClassificationBatch? LoadBatch(int epoch, int batchIndex) => LoadBatch(EpochOrder(epoch), epoch, batchIndex, CancellationToken.None);

    ClassificationBatch? LoadBatch(int[] order, int epoch, int batchIndex, CancellationToken token)
    {
        int start = batchIndex * Options.BatchSize, count = Math.Min(Options.BatchSize, order.Length - start);
        var images = new Tensor?[count];
        try
        {
            if (Options.Workers == 1)
                for (int i = 0; i < count; i++) { token.ThrowIfCancellationRequested(); images[i] = LoadSample(order[start + i], epoch); }
            else
                Parallel.For(0, count, new ParallelOptions { MaxDegreeOfParallelism = Options.Workers, CancellationToken = token },
                    i => images[i] = LoadSample(order[start + i], epoch));
            var kept = Enumerable.Range(0, count).Where(i => images[i] is not null).ToArray();
            if (kept.Length == 0) return null;
            var stacked = torch.stack(kept.Select(i => images[i]!).ToArray());
            var labels = torch.tensor(kept.Select(i => (long)Folder.Samples[order[start + i]].Label).ToArray());
            return new ClassificationBatch(epoch, batchIndex, stacked, labels, kept.Select(i => Folder.Samples[order[start + i]].Path).ToArray());
        }
        finally
        {
            foreach (var t in images) t?.Dispose();
        }
    }

    Tensor? LoadSample(int index, int epoch)
    {
        var sample = Folder.Samples[index];
        if (_bad.ContainsKey(sample.Path)) return null;
        try
        {
            using var image = ImageIO.ReadTensor(sample.Path);
            return Mode == ClassificationTransformMode.Train
                ? ClassificationTransforms.Train(image, Transform, new Random(MixSeed(Options.Seed, AugmentStream, epoch, index)))
                : ClassificationTransforms.Eval(image, Transform);
        }
        catch (ImageDecodeException e)
        {
            var skipped = new SkippedImage(sample.Path, e.Reason);
            if (_bad.TryAdd(sample.Path, skipped))
            {
                lock (_skipLock)
                {
                    _skipped.Add(skipped);
                    _onSkipped?.Invoke(skipped);
                }
            }
            return null;
        }
    }

    /// <summary>SplitMix64 over (seed, stream, epoch, index) → a non-negative <see cref="Random"/> seed.</summary>
    public static int MixSeed(int seed, int stream, int epoch, int index)
    {
        ulong h = 0x243F6A8885A308D3UL;
        foreach (var v in (ReadOnlySpan<int>)[seed, stream, epoch, index])
        {
            h ^= (uint)v;
            h += 0x9E3779B97F4A7C15UL;
            ulong z = h;
            z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
            z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
            h = z ^ (z >> 31);
        }
        return (int)(h >> 33);
    }
}
