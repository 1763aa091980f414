using HfDiff.Torch.Data.SrPairs;
using HfDiff.Torch.Degradations;
using static TorchSharp.torch;

namespace HfDiff.Torch.Tests.Data.SrPairs;

[TestClass]
public class SrTransformsTests
{
    static Tensor Ramp(long h, long w) => arange(3 * h * w, ScalarType.Float32).reshape(1, 3, h, w);

    [TestMethod]
    public void Reflect101Index_PadBeyondImage_PingPongsLikeOpenCv()
    {
        // OpenCV BORDER_REFLECT_101 of "abc": ...c b | a b c | b a b c b a...
        int[] expected = [0, 1, 2, 1, 0, 1, 2, 1, 0];
        CollectionAssert.AreEqual(expected, Enumerable.Range(0, 9).Select(p => SrTransforms.Reflect101Index(p, 3)).ToArray());
        Assert.AreEqual(1, SrTransforms.Reflect101Index(-1, 3));
        Assert.AreEqual(2, SrTransforms.Reflect101Index(-2, 3));
        Assert.AreEqual(0, SrTransforms.Reflect101Index(7, 1)); // a 1-pixel axis is replicated
    }

    [TestMethod]
    public void PadReflect101_PadLargerThanImage_PadsBottomRightByReflection()
    {
        using var img = Ramp(2, 3);
        using var padded = SrTransforms.PadReflect101(img, padBottom: 3, padRight: 5);

        CollectionAssert.AreEqual(new long[] { 1, 3, 5, 8 }, padded.shape);
        var src = img.data<float>().ToArray();
        var got = padded.data<float>().ToArray();
        for (int c = 0; c < 3; c++)
            for (int y = 0; y < 5; y++)
                for (int x = 0; x < 8; x++)
                {
                    int sy = SrTransforms.Reflect101Index(y, 2), sx = SrTransforms.Reflect101Index(x, 3);
                    Assert.AreEqual(src[(c * 2 + sy) * 3 + sx], got[(c * 5 + y) * 8 + x], $"c{c} y{y} x{x}");
                }
    }

    [TestMethod]
    public void CropOrPad_SmallerImage_KeepsOriginalTopLeftAndDrawsNothing()
    {
        using var img = Ramp(10, 12);
        var rng = new DegradationRandom(5);
        var twin = new DegradationRandom(5);

        using var outT = SrTransforms.CropOrPad(img, 30, rng);

        CollectionAssert.AreEqual(new long[] { 1, 3, 30, 30 }, outT.shape);
        using var corner = outT.narrow(2, 0, 10).narrow(3, 0, 12);
        Assert.IsTrue(corner.allclose(img, 0, 0));
        Assert.AreEqual(twin.NextUInt64(), rng.NextUInt64(), "padding to exactly the size must not consume draws");
    }

    [TestMethod]
    public void CropOrPad_LargerImage_CropsAtSeededTopThenLeft()
    {
        using var img = Ramp(20, 25);
        var twin = new DegradationRandom(9);
        int top = twin.NextIndex(20 - 8 + 1), left = twin.NextIndex(25 - 8 + 1);

        using var outT = SrTransforms.CropOrPad(img, 8, new DegradationRandom(9));

        using var expected = img.narrow(2, top, 8).narrow(3, left, 8);
        Assert.IsTrue(outT.allclose(expected, 0, 0));
    }

    [TestMethod]
    public void Augment_Hflip_FollowsTheSeededDraw()
    {
        using var img = Ramp(4, 5);
        using var flipped = img.flip(3);
        int flips = 0;
        for (long seed = 0; seed < 16; seed++)
        {
            bool expectFlip = new DegradationRandom(seed).NextDouble() < 0.5;
            var (outT, h, v, t) = SrTransforms.Augment(img, new DegradationRandom(seed), hflip: true, rotation: false);
            using (outT)
            {
                Assert.AreEqual(expectFlip, h, $"seed {seed}");
                Assert.IsFalse(v || t);
                Assert.IsTrue(outT.allclose(expectFlip ? flipped : img, 0, 0), $"seed {seed}");
            }
            if (h) flips++;
        }
        Assert.IsTrue(flips is > 0 and < 16, $"16 seeds should give both outcomes; got {flips} flips");
    }

    [TestMethod]
    public void Augment_NoFlipNoRotation_ConsumesNoDrawsAndReturnsCopy()
    {
        using var img = Ramp(4, 5);
        var rng = new DegradationRandom(3);
        var (outT, h, v, t) = SrTransforms.Augment(img, rng, hflip: false, rotation: false);
        using (outT)
        {
            Assert.IsFalse(h || v || t);
            Assert.IsTrue(outT.allclose(img, 0, 0));
        }
        Assert.AreEqual(new DegradationRandom(3).NextUInt64(), rng.NextUInt64());
    }

    [TestMethod]
    public void Augment_Rotation_TransposesNonSquareImage()
    {
        using var img = Ramp(4, 6);
        for (long seed = 0; seed < 32; seed++)
        {
            var (outT, h, v, t) = SrTransforms.Augment(img, new DegradationRandom(seed), hflip: true, rotation: true);
            using (outT)
            {
                using var expected = (h, v) switch
                {
                    (true, true) => img.flip(3).flip(2),
                    (true, false) => img.flip(3),
                    (false, true) => img.flip(2),
                    _ => img.alias(),
                };
                using var e2 = t ? expected.transpose(2, 3) : expected.alias();
                Assert.IsTrue(outT.allclose(e2, 0, 0), $"seed {seed}");
            }
        }
    }

    [TestMethod]
    public void PairedRandomCrop_AlignedWindows_GtIsScaleTimesLq()
    {
        // The LQ is the GT subsampled by 4, so the crops must still correspond.
        using var gt = Ramp(40, 48);
        using var lq = gt[.., .., TensorIndex.Slice(0, null, 4), TensorIndex.Slice(0, null, 4)].contiguous();
        var (gts, lqCrop) = SrTransforms.PairedRandomCrop([gt], lq, 16, 4, new DegradationRandom(2));
        using var g = gts[0];
        using (lqCrop)
        {
            CollectionAssert.AreEqual(new long[] { 1, 3, 16, 16 }, g.shape);
            CollectionAssert.AreEqual(new long[] { 1, 3, 4, 4 }, lqCrop.shape);
            using var sub = g[.., .., TensorIndex.Slice(0, null, 4), TensorIndex.Slice(0, null, 4)];
            Assert.IsTrue(sub.allclose(lqCrop, 0, 0));
        }
    }

    [TestMethod]
    public void PairedRandomCrop_ScaleMismatch_ThrowsNamingSizes()
    {
        using var gt = Ramp(40, 48);
        using var lq = zeros(1, 3, 10, 11);
        var e = Assert.ThrowsExactly<ArgumentException>(() => SrTransforms.PairedRandomCrop([gt], lq, 16, 4, new DegradationRandom(0)));
        StringAssert.Contains(e.Message, "(40, 48)");
    }

    [TestMethod]
    public void PairedRandomCrop_LqSmallerThanPatch_Throws()
    {
        using var gt = Ramp(8, 8);
        using var lq = zeros(1, 3, 2, 2);
        Assert.ThrowsExactly<ArgumentException>(() => SrTransforms.PairedRandomCrop([gt], lq, 16, 4, new DegradationRandom(0)));
    }
    [TestMethod]
    public void ResizeArea_FiveToThree_UsesOpenCvFractionalCoverage()
    {
        // OpenCV INTER_AREA 5 -> 3 (scale 5/3): rows [.6 .4 0 0 0], [0 .2 .6 .2 0], [0 0 0 .4 .6].
        using var img = arange(5, ScalarType.Float32).reshape(1, 1, 1, 5);
        using var outT = SrTransforms.ResizeArea(img, 1, 3);
        var v = outT.data<float>().ToArray();
        Assert.AreEqual(3, v.Length);
        Assert.AreEqual(0.4f, v[0], 1e-6f);
        Assert.AreEqual(2.0f, v[1], 1e-6f);
        Assert.AreEqual(3.6f, v[2], 1e-6f);
    }

    [TestMethod]
    public void ResizeArea_IntegerFactor_IsBlockAverage()
    {
        using var img = rand(2, 3, 8, 12, generator: new Generator(1));
        using var outT = SrTransforms.ResizeArea(img, 4, 6);
        using var expected = nn.functional.avg_pool2d(img, 2);
        Assert.IsTrue(outT.allclose(expected, 0, 1e-6));
    }

    [TestMethod]
    public void ResizeArea_Enlarging_Throws()
    {
        using var img = zeros(1, 3, 4, 4);
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => SrTransforms.ResizeArea(img, 5, 4));
    }

    [TestMethod]
    public void RescaleCrop_NarrowImage_PadsInStepsLikeResShift()
    {
        // W 3 -> side 8: pad 3 (a b c b a b), then pad 2 on 6 columns (... a b). One cv2 call would give ... c b.
        using var img = arange(8 * 3, ScalarType.Float32).reshape(1, 1, 8, 3).expand(1, 3, 8, 3).contiguous();
        var rng = new DegradationRandom(0);
        using var outT = SrTransforms.RescaleCrop(img, 8, rng);
        CollectionAssert.AreEqual(new long[] { 1, 3, 8, 8 }, outT.shape);
        var row = outT[0, 0, 0].data<float>().ToArray();
        CollectionAssert.AreEqual(new float[] { 0, 1, 2, 1, 0, 1, 0, 1 }, row);
        Assert.AreEqual(new DegradationRandom(0).NextUInt64(), rng.NextUInt64(), "no crop draw when the padded image is the side");
    }

    [TestMethod]
    public void RescaleCrop_LargeImage_SquareCropOfShortSideThenAreaResize()
    {
        using var img = rand(1, 3, 12, 8, generator: new Generator(2)); // H 12, W 8: side 8, top in 0..4
        var twin = new DegradationRandom(4);
        int top = twin.NextIndex(5), left = twin.NextIndex(1);
        using var outT = SrTransforms.RescaleCrop(img, 4, new DegradationRandom(4));
        using var crop = img.narrow(2, top, 8).narrow(3, left, 8);
        using var expected = nn.functional.avg_pool2d(crop, 2);
        Assert.IsTrue(outT.allclose(expected, 0, 1e-6));
    }
}
