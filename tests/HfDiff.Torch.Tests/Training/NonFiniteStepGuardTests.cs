using HfDiff.Torch.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace HfDiff.Torch.Tests.Training;

[TestClass]
public class NonFiniteStepGuardTests
{
    static TorchSharp.Modules.Parameter WithGrad(params float[] grad)
    {
        var p = new TorchSharp.Modules.Parameter(zeros(grad.Length));
        p.grad = tensor(grad);
        return p;
    }

    [TestMethod]
    public void Check_FiniteLossAndGradients_TakesStepAndResetsCount()
    {
        var guard = new NonFiniteStepGuard(3);
        using var p = WithGrad(1, 2);
        Assert.IsFalse(guard.Check(double.NaN, [p], 1, "it 1"));
        Assert.AreEqual(1, guard.Consecutive);
        using var q = WithGrad(1e30f, -1e30f);   // huge but finite: a step, not a skip
        Assert.IsTrue(guard.Check(0.5, [q], 2, "it 2"));
        Assert.AreEqual(0, guard.Consecutive);
        Assert.AreEqual(1, guard.Skipped);
    }

    [TestMethod]
    public void Check_NonFiniteGradient_ZeroesGradientsAndSkips()
    {
        var guard = new NonFiniteStepGuard();
        using var good = WithGrad(1, 2);
        using var bad = WithGrad(3, float.PositiveInfinity);
        Assert.IsFalse(guard.Check(0.1, [good, bad], 7, "it 7"));
        Assert.AreEqual(0f, good.grad!.abs().sum().item<float>(), "all gradients zeroed, not only the bad one");
        Assert.IsTrue(bad.grad!.isfinite().all().item<bool>());
        Assert.AreEqual(1, guard.Skipped);
    }

    [TestMethod]
    public void Check_MaxConsecutiveSkips_ThrowsNamingIterationAndCount()
    {
        var guard = new NonFiniteStepGuard(2);
        using var p = WithGrad(float.NaN);
        Assert.IsFalse(guard.Check(1, [p], 4, "iteration 4"));
        p.grad = tensor(new[] { float.NaN });
        var e = Assert.ThrowsExactly<HfDiff.Torch.Training.Core.TrainingDivergedException>(() => guard.Check(1, [p], 5, "iteration 5", "ckpt-4.zip"));
        StringAssert.Contains(e.Message, "2 steps in a row");
        StringAssert.Contains(e.Message, "iteration 5");
        StringAssert.Contains(e.Message, "ckpt-4.zip");
        Assert.AreEqual(5, e.Iteration);
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => new NonFiniteStepGuard(0));
    }
}
