using HfDiff.Torch.Samplers;
using static TorchSharp.torch;

namespace HfDiff.Torch.Tests.Samplers;

[TestClass]
public class BatchNoiseSourceTests
{
    /// <summary>Draw k (0, 1, 2, …) is a tensor filled with k, so every test can read which draw it got.</summary>
    sealed class CountingNoise : INoiseSource
    {
        public int Draws;
        public Tensor RandnLike(Tensor like) => full(like.shape, (float)Draws++);
    }

    static float[] FirstValues(Tensor t) => Enumerable.Range(0, (int)t.shape[0]).Select(i => t[i].flatten()[0].item<float>()).ToArray();

    [TestMethod]
    public void TileBatch_GivesTileIItsDrawsIKToIKPlusKMinus1()
    {
        var inner = new CountingNoise();
        using var like = zeros(3, 2, 4, 4);
        using var source = new TileBatchNoiseSource(inner, drawsPerSample: 2);
        using var first = source.RandnLike(like);
        using var second = source.RandnLike(like);
        CollectionAssert.AreEqual(new float[] { 0, 2, 4 }, FirstValues(first));
        CollectionAssert.AreEqual(new float[] { 1, 3, 5 }, FirstValues(second));
        CollectionAssert.AreEqual(like.shape, first.shape);
        Assert.AreEqual(6, inner.Draws, "all draws of the batch taken from the stream, in tile order");
        var e = Assert.ThrowsExactly<InvalidOperationException>(() => source.RandnLike(like));
        StringAssert.Contains(e.Message, "declared 2");
    }

    [TestMethod]
    public void SharedStream_RepeatsOneSamplesDrawOverTheBatch()
    {
        var inner = new CountingNoise();
        var source = new SharedStreamNoiseSource(inner);
        using var like = zeros(4, 3, 2, 2);
        using var a = source.RandnLike(like);
        using var b = source.RandnLike(like);
        CollectionAssert.AreEqual(new float[] { 0, 0, 0, 0 }, FirstValues(a));
        CollectionAssert.AreEqual(new float[] { 1, 1, 1, 1 }, FirstValues(b));
        CollectionAssert.AreEqual(like.shape, a.shape);
    }

    [TestMethod]
    public void Samplers_DeclareTheirDrawsPerSample()
    {
        var schedule = new HfDiff.Torch.Schedules.ResShiftSchedule(new HfDiff.Torch.Schedules.ResShiftScheduleOptions());
        Assert.AreEqual(1 + schedule.NumTimesteps, ((ILatentSrSampler)new ResShiftSampler(schedule)).NoiseDrawsPerSample);
        Assert.IsNull(((ILatentSrSampler)new ResShiftSampler(schedule, new ResShiftSamplerOptions { NoiseRepeat = true })).NoiseDrawsPerSample);
    }
}
