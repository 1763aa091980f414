using HfDiff.Tests.Common;
using HfDiff.Torch.Pipelines;
using static TorchSharp.torch;

namespace HfDiff.Torch.Tests.Pipelines;

[TestClass]
public class ChannelsLastTests
{
    [TestMethod]
    public void To_NchwTensor_KeepsValuesAndLaysOutNhwc()
    {
        using var x = randn(2, 5, 3, 4);
        using var cl = ChannelsLast.To(x);
        Assert.IsFalse(ChannelsLast.IsChannelsLast(x));
        Assert.IsTrue(ChannelsLast.IsChannelsLast(cl));
        CollectionAssert.AreEqual(new long[] { 60, 1, 20, 5 }, cl.stride());
        TensorAssert.MaxAbsBelow(cl, x, 0, "values");
        using var again = ChannelsLast.To(cl);
        CollectionAssert.AreEqual(cl.stride(), again.stride(), "idempotent");
    }

    [TestMethod]
    public void IsChannelsLast_SizeOneDimensions_IgnoresTheirStrides()
    {
        using var w = randn(8, 4, 1, 1);   // a 1x1 conv weight is both layouts at once, as in libtorch
        Assert.IsTrue(ChannelsLast.IsChannelsLast(w));
        using var v = randn(3, 4);
        Assert.IsFalse(ChannelsLast.IsChannelsLast(v));
    }

    [TestMethod]
    public void ConvertParameters_Convolutions_RelaysWeightsWithoutChangingOutputsBeyondRounding()
    {
        manual_seed(3);
        using var conv = nn.Conv2d(6, 8, 3, padding: 1);
        using var x = randn(1, 6, 9, 7);
        using var before = conv.call(x);
        ChannelsLast.ConvertParameters(conv);
        Assert.IsTrue(ChannelsLast.IsChannelsLast(conv.weight!));
        Assert.AreEqual(1, conv.parameters().Count(p => p.dim() == 4), "the weight is replaced, not duplicated");
        using var after = conv.call(x);
        TensorAssert.RelL2Below(after, before, 1e-5, "conv output");
    }
}
