using System.Runtime.InteropServices;
using HfDiff.Torch.Data.SrPairs;
using HfDiff.Torch.Imaging;
using HfDiff.Torch.Data;
using static TorchSharp.torch;

namespace HfDiff.Torch.Tests.Data.SrPairs;

[TestClass]
public class SrPairLoaderTests
{
    static readonly TimeSpan HangLimit = TimeSpan.FromSeconds(90);

    /// <summary>Small settings: 80² crop/pad (the default degradation needs >= 74), 64² GT patches.</summary>
    static SrPairLoaderOptions Small(long seed = 7, int prefetch = 2, int batch = 2) => new()
    {
        GtSize = 64,
        CropPadSize = 80,
        BatchSize = batch,
        Seed = seed,
        PrefetchBatches = prefetch,
        DropLast = false,
    };

    static SrPairTestImages FiveImages()
    {
        var dir = new SrPairTestImages();
        dir.Png("a.png", 96, 90, 1);
        dir.Png("b.png", 120, 100, 2);
        dir.Png("c.png", 80, 80, 3);
        dir.Png("sub/d.png", 100, 130, 4);
        dir.Png("e.png", 90, 110, 5);
        return dir;
    }

    static byte[] Bits(Tensor t) => MemoryMarshal.AsBytes(t.contiguous().data<float>().ToArray().AsSpan()).ToArray();

    static void AssertBitwiseEqual(SrPairBatch a, SrPairBatch b)
    {
        CollectionAssert.AreEqual(a.Paths.ToArray(), b.Paths.ToArray());
        CollectionAssert.AreEqual(Bits(a.Lq), Bits(b.Lq), $"Lq of batch {a.Index}");
        CollectionAssert.AreEqual(Bits(a.Gt), Bits(b.Gt), $"Gt of batch {a.Index}");
        CollectionAssert.AreEqual(Bits(a.GtUsm), Bits(b.GtUsm), $"GtUsm of batch {a.Index}");
    }

    static List<SrPairBatch> Take(SrPairLoader loader, int epoch) => loader.Epoch(epoch).ToList();

    static void DisposeAll(IEnumerable<SrPairBatch> batches)
    {
        foreach (var b in batches) b.Dispose();
    }

    [TestMethod]
    public void Epoch_SameSeedPrefetchedAndSynchronous_BitwiseIdenticalBatches()
    {
        using var dir = FiveImages();
        using var prefetched = new SrPairLoader(dir.Root, Small(seed: 11, prefetch: 2));
        using var synchronous = new SrPairLoader(dir.Root, Small(seed: 11, prefetch: 0));
        using var otherSeed = new SrPairLoader(dir.Root, Small(seed: 12, prefetch: 1));

        var a = Take(prefetched, 1);
        var b = Take(synchronous, 1);
        var c = Take(otherSeed, 1);
        try
        {
            Assert.AreEqual(3, a.Count);
            Assert.AreEqual(a.Count, b.Count);
            for (int i = 0; i < a.Count; i++) AssertBitwiseEqual(a[i], b[i]);
            bool anyDifferent = a.Zip(c).Any(p => !Bits(p.First.Lq).SequenceEqual(Bits(p.Second.Lq)) || !p.First.Paths.SequenceEqual(p.Second.Paths));
            Assert.IsTrue(anyDifferent, "another seed must give other batches");
        }
        finally
        {
            DisposeAll(a); DisposeAll(b); DisposeAll(c);
        }
    }

    [TestMethod]
    public void Epoch_FileListOfTheFolderListing_BitwiseIdenticalToFolder()
    {
        using var dir = FiveImages();
        using var folder = new SrPairLoader(dir.Root, Small(seed: 5, prefetch: 0));
        using var list = new SrPairLoader(HrImageFolder.FromFiles(folder.Images.Paths), Small(seed: 5, prefetch: 0));
        using var reversed = new SrPairLoader(HrImageFolder.FromFiles(folder.Images.Paths.Reverse()), Small(seed: 5, prefetch: 0) with { Shuffle = false });

        var a = Take(folder, 0);
        var b = Take(list, 0);
        var c = Take(reversed, 0);
        try
        {
            Assert.AreEqual(a.Count, b.Count);
            for (int i = 0; i < a.Count; i++) AssertBitwiseEqual(a[i], b[i]);
            CollectionAssert.AreEqual(folder.Images.Paths.Reverse().ToArray(), c.SelectMany(x => x.Paths).ToArray(), "a list keeps its own order");
        }
        finally
        {
            DisposeAll(a); DisposeAll(b); DisposeAll(c);
        }
    }

    [TestMethod]
    public void Epoch_DifferentEpochs_DifferentOrderOrDraws()
    {
        using var dir = FiveImages();
        using var loader = new SrPairLoader(dir.Root, Small(prefetch: 0));
        var e0 = Take(loader, 0);
        var e1 = Take(loader, 1);
        try
        {
            bool same = e0.Zip(e1).All(p => p.First.Paths.SequenceEqual(p.Second.Paths) && Bits(p.First.Lq).SequenceEqual(Bits(p.Second.Lq)));
            Assert.IsFalse(same);
        }
        finally
        {
            DisposeAll(e0); DisposeAll(e1);
        }
    }

    [TestMethod]
    public void Epoch_FiveImagesBatchTwoKeepLast_ShapesRangeAndPaths()
    {
        using var dir = FiveImages();
        using var loader = new SrPairLoader(dir.Root, Small(prefetch: 1) with { Shuffle = false });
        SrPairEpochSummary? summary = null;
        loader.EpochCompleted += s => summary = s;

        var batches = Take(loader, 0);
        try
        {
            CollectionAssert.AreEqual(new[] { 2, 2, 1 }, batches.Select(b => b.Count).ToArray());
            CollectionAssert.AreEqual(loader.Images.Paths.ToArray(), batches.SelectMany(b => b.Paths).ToArray(), "Shuffle = false keeps the sorted order");
            foreach (var b in batches)
            {
                CollectionAssert.AreEqual(new long[] { b.Count, 3, 16, 16 }, b.Lq.shape);
                CollectionAssert.AreEqual(new long[] { b.Count, 3, 64, 64 }, b.Gt.shape);
                CollectionAssert.AreEqual(new long[] { b.Count, 3, 64, 64 }, b.GtUsm.shape);
                foreach (var t in new[] { b.Lq, b.Gt, b.GtUsm })
                {
                    Assert.AreEqual(ScalarType.Float32, t.dtype);
                    Assert.IsTrue(t.min().item<float>() >= 0 && t.max().item<float>() <= 1);
                }
                using var levels = (b.Lq * 255 - (b.Lq * 255).round()).abs().max();
                Assert.IsTrue(levels.item<float>() < 1e-4, "LQ holds 8-bit levels");
            }
            Assert.AreEqual(new SrPairEpochSummary(0, 3, 5, 0, 0), summary);
        }
        finally
        {
            DisposeAll(batches);
        }
    }

    [TestMethod]
    public void Epoch_DropLast_DropsPartialBatchAndCountsIt()
    {
        using var dir = FiveImages();
        using var loader = new SrPairLoader(dir.Root, Small(prefetch: 0, batch: 2) with { DropLast = true });
        SrPairEpochSummary? summary = null;
        loader.EpochCompleted += s => summary = s;
        var batches = Take(loader, 0);
        DisposeAll(batches);
        Assert.AreEqual(2, batches.Count);
        Assert.AreEqual(2, loader.BatchesPerEpoch);
        Assert.AreEqual(new SrPairEpochSummary(0, 2, 4, 0, 1), summary);
    }

    [TestMethod]
    public void Epoch_ImageSmallerThanCropPad_GtIsWindowOfReflect101PaddedImage()
    {
        using var dir = new SrPairTestImages();
        var path = dir.Png("small.png", 100, 120, 9); // W 100, H 120: pads of 280 and 300 exceed the image
        var options = new SrPairLoaderOptions { GtSize = 64, CropPadSize = 400, BatchSize = 1, UseHflip = false, PrefetchBatches = 0, DropLast = false };
        using var loader = new SrPairLoader(dir.Root, options);

        var batch = Take(loader, 0).Single();
        try
        {
            using var hr = ImageIO.ReadTensor(path);
            using var padded = SrTransforms.PadReflect101(hr, 400 - 120, 400 - 100);
            var full = padded.data<float>().ToArray();
            var patch = batch.Gt.data<float>().ToArray();
            CollectionAssert.AreEqual(new long[] { 1, 3, 16, 16 }, batch.Lq.shape);

            bool Matches(int top, int left)
            {
                for (int c = 0; c < 3; c++)
                    for (int y = 0; y < 64; y++)
                        for (int x = 0; x < 64; x++)
                            if (full[(c * 400 + top + y) * 400 + left + x] != patch[(c * 64 + y) * 64 + x]) return false;
                return true;
            }
            // paired_random_crop places the GT window on the LQ grid (multiples of the scale).
            var hits = (from top in Enumerable.Range(0, 85) from left in Enumerable.Range(0, 85)
                        where Matches(top * 4, left * 4) select (top, left)).ToList();
            Assert.AreEqual(1, hits.Count, "the GT patch must be exactly one window of the reflect-101 padded image");
            var (t, l) = hits[0];
            Assert.IsTrue(t * 4 + 64 > 120 || l * 4 + 64 > 100, $"window ({t * 4}, {l * 4}) lies inside the original image, so it does not test the padding; pick another seed");
        }
        finally
        {
            batch.Dispose();
        }
    }

    [TestMethod]
    public void Epoch_Hflip_AppliedPerSampleFromSeed()
    {
        using var dir = new SrPairTestImages();
        for (int i = 0; i < 8; i++) dir.Png($"{i}.png", 80, 80, 20 + i);
        // 80² images, 80² crop/pad and 80² GT: the GT patch is the (possibly flipped) image itself.
        SrPairLoaderOptions O(bool hflip, long seed) => new() { GtSize = 80, CropPadSize = 80, BatchSize = 1, UseHflip = hflip, Seed = seed, PrefetchBatches = 1 };

        bool[] FlipPattern(bool hflip, long seed)
        {
            using var loader = new SrPairLoader(dir.Root, O(hflip, seed));
            var batches = Take(loader, 0);
            try
            {
                return batches.Select(b =>
                {
                    using var hr = ImageIO.ReadTensor(b.Paths[0]);
                    using var flipped = hr.flip(3);
                    bool plain = b.Gt.allclose(hr, 0, 0), mirrored = b.Gt.allclose(flipped, 0, 0);
                    Assert.IsTrue(plain ^ mirrored, $"{b.Paths[0]}: GT must be the image or its mirror");
                    return mirrored;
                }).ToArray();
            }
            finally
            {
                DisposeAll(batches);
            }
        }

        var a = FlipPattern(true, 3);
        Assert.IsTrue(a.Any(f => f) && a.Any(f => !f), $"8 samples should show both outcomes; got [{string.Join(", ", a)}]");
        CollectionAssert.AreEqual(a, FlipPattern(true, 3), "same seed, same flips");
        Assert.IsFalse(FlipPattern(false, 3).Any(f => f), "UseHflip = false never flips");
    }

    [TestMethod]
    public void Epoch_CorruptFile_SkippedReportedOnceAndCounted()
    {
        using var dir = new SrPairTestImages();
        dir.Png("a.png", 80, 80, 1);
        var bad = dir.TruncatedPng("b.png", 80, 80);
        dir.Png("c.png", 80, 80, 2);
        dir.Png("d.png", 80, 80, 3);
        using var loader = new SrPairLoader(dir.Root, Small(prefetch: 1, batch: 1) with { GtSize = 64 });
        var skipped = new List<SkippedImage>();
        var summaries = new List<SrPairEpochSummary>();
        loader.Images.ImageSkipped += skipped.Add;
        loader.EpochCompleted += summaries.Add;

        var e0 = Take(loader, 0);
        var e1 = Take(loader, 1);
        try
        {
            Assert.AreEqual(3, e0.Count);
            Assert.AreEqual(3, e1.Count);
            Assert.IsFalse(e0.Concat(e1).Any(b => b.Paths.Contains(bad)));
            Assert.AreEqual(1, skipped.Count, "reported once, not every epoch");
            Assert.AreEqual(bad, skipped[0].Path);
            StringAssert.Contains(skipped[0].Reason, "corrupt");
            CollectionAssert.AreEqual(new[] { new SrPairEpochSummary(0, 3, 3, 1, 0), new SrPairEpochSummary(1, 3, 3, 1, 0) }, summaries);
        }
        finally
        {
            DisposeAll(e0); DisposeAll(e1);
        }
    }

    [TestMethod]
    public void Epoch_NoReadableImage_ThrowsNamingFolderAndReason()
    {
        using var dir = new SrPairTestImages();
        dir.Raw("a.png", "garbage"u8.ToArray());
        dir.Raw("b.jpg", []);
        using var loader = new SrPairLoader(dir.Root, Small(prefetch: 1));

        var e = Assert.ThrowsExactly<InvalidOperationException>(() => Take(loader, 0));

        StringAssert.Contains(e.Message, dir.Root);
        StringAssert.Contains(e.Message, "0 of 2 images are readable");
        StringAssert.Contains(e.Message, "a.png");
    }

    [TestMethod]
    public void Dispose_WorkerBlockedOnFullQueue_StopsWithinBoundedTime()
    {
        using var dir = FiveImages();
        var loader = new SrPairLoader(dir.Root, Small(prefetch: 1, batch: 1));
        var enumerator = loader.Batches().GetEnumerator();
        Assert.IsTrue(enumerator.MoveNext());
        enumerator.Current.Dispose();
        Thread.Sleep(200); // let the worker fill the queue and block on the next write

        var dispose = Task.Run(loader.Dispose);
        Assert.IsTrue(dispose.Wait(HangLimit), "Dispose must stop the prefetch worker");
        Assert.ThrowsExactly<ObjectDisposedException>(() => enumerator.MoveNext());
        var disposeEnumerator = Task.Run(enumerator.Dispose);
        Assert.IsTrue(disposeEnumerator.Wait(HangLimit));
        Assert.ThrowsExactly<ObjectDisposedException>(() => loader.Epoch(0).GetEnumerator().MoveNext());
    }

    [TestMethod]
    public void Batches_BreakOutOfForeach_StopsWorkerAndAllowsNewEnumeration()
    {
        using var dir = FiveImages();
        using var loader = new SrPairLoader(dir.Root, Small(prefetch: 2, batch: 1));
        var run = Task.Run(() =>
        {
            foreach (var b in loader.Batches())
            {
                b.Dispose();
                break;
            }
        });
        Assert.IsTrue(run.Wait(HangLimit), "leaving the foreach must stop the worker");
        var again = loader.Epoch(0).First();
        again.Dispose();
    }

    [TestMethod]
    public void Epoch_SecondConcurrentEnumeration_Throws()
    {
        using var dir = FiveImages();
        using var loader = new SrPairLoader(dir.Root, Small(prefetch: 1, batch: 1));
        using var first = loader.Epoch(0).GetEnumerator();
        Assert.IsTrue(first.MoveNext());
        first.Current.Dispose();
        var e = Assert.ThrowsExactly<InvalidOperationException>(() => loader.Epoch(0).GetEnumerator().MoveNext());
        StringAssert.Contains(e.Message, "one enumeration at a time");
    }

    [TestMethod]
    public void Constructor_InvalidOptions_ThrowNamingOption()
    {
        using var dir = FiveImages();
        var gt = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => new SrPairLoader(dir.Root, Small() with { GtSize = 66 }));
        StringAssert.Contains(gt.Message, "GtSize");
        var crop = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => new SrPairLoader(dir.Root, Small() with { GtSize = 32, CropPadSize = 60 }));
        StringAssert.Contains(crop.Message, "CropPadSize");
        StringAssert.Contains(crop.Message, "60");
        var scale = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => new SrPairLoader(dir.Root, Small() with { Scale = 2 }));
        StringAssert.Contains(scale.Message, "Degradation.Scale");
        var batch = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => new SrPairLoader(dir.Root, Small() with { BatchSize = 0 }));
        StringAssert.Contains(batch.Message, "BatchSize");
    }
    [TestMethod]
    public void Epoch_ResShiftRescale_DegradesAtGtSizeAndKeepsWholePatch()
    {
        using var dir = FiveImages();
        var options = Small(prefetch: 1) with { CropMode = SrCropMode.ResShiftRescale, GtSize = 80, CropPadSize = 0, UseHflip = false, Shuffle = false, BatchSize = 1 };
        using var loader = new SrPairLoader(dir.Root, options);
        var batches = Take(loader, 0);
        try
        {
            Assert.AreEqual(5, batches.Count);
            foreach (var b in batches)
            {
                CollectionAssert.AreEqual(new long[] { 1, 3, 20, 20 }, b.Lq.shape);
                CollectionAssert.AreEqual(new long[] { 1, 3, 80, 80 }, b.Gt.shape);
            }
            // c.png is 80x80: side 80 = GtSize, so no crop, no resize: the GT is the image itself.
            var c = batches.Single(b => b.Paths[0].EndsWith("c.png", StringComparison.Ordinal));
            using var hr = ImageIO.ReadTensor(c.Paths[0]);
            Assert.IsTrue(c.Gt.allclose(hr, 0, 0));
        }
        finally
        {
            DisposeAll(batches);
        }
    }

    [TestMethod]
    public void Epoch_ResShiftRescaleGtBelowDegradationMinimum_ThrowsNamingGtSize()
    {
        using var dir = FiveImages();
        var e = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => new SrPairLoader(dir.Root, Small() with { CropMode = SrCropMode.ResShiftRescale, GtSize = 64 }));
        StringAssert.Contains(e.Message, "GtSize must be >= ");
    }

    [TestMethod]
    public void Epoch_ResharpenGtOff_GtUsmIsCropOfLqSourceAndMatchesResharpenedInside()
    {
        using var dir = FiveImages();
        using var resharpen = new SrPairLoader(dir.Root, Small(prefetch: 0) with { GtSize = 80, CropPadSize = 80 });
        using var cropOnly = new SrPairLoader(dir.Root, Small(prefetch: 0) with { GtSize = 80, CropPadSize = 80, ResharpenGt = false });
        using var plain = new SrPairLoader(dir.Root, Small(prefetch: 0) with { GtSize = 80, CropPadSize = 80, ResharpenGt = false, LqFromSharpenedGt = false });
        var a = Take(resharpen, 0);
        var b = Take(cropOnly, 0);
        var c = Take(plain, 0);
        try
        {
            for (int i = 0; i < a.Count; i++)
            {
                AssertBitwiseEqual(new[] { a[i].Lq, a[i].Gt }, new[] { b[i].Lq, b[i].Gt });
                // With a whole-image patch both are USM of the same image; they differ only by float rounding.
                using var diff = (a[i].GtUsm - b[i].GtUsm).abs().max();
                Assert.IsTrue(diff.item<float>() < 1e-4, $"batch {i}: max |diff| {diff.item<float>()}");
                Assert.IsFalse(b[i].GtUsm.allclose(b[i].Gt, 0, 0), "sharpened");
                Assert.IsTrue(c[i].GtUsm.allclose(c[i].Gt, 0, 0), "LQ from the plain GT: its source is the GT");
            }
        }
        finally
        {
            DisposeAll(a); DisposeAll(b); DisposeAll(c);
        }
    }

    static void AssertBitwiseEqual(Tensor[] a, Tensor[] b)
    {
        for (int i = 0; i < a.Length; i++) CollectionAssert.AreEqual(Bits(a[i]), Bits(b[i]), $"tensor {i}");
    }
}
