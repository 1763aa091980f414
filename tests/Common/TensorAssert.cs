using static TorchSharp.torch;

namespace HfDiff.Tests.Common;

/// <summary>Tensor comparisons that report the measured error in the failure message.</summary>
public static class TensorAssert
{
    /// <summary>Relative L2 error ‖a−e‖/‖e‖ (float64), shapes must match.</summary>
    public static double RelL2(Tensor actual, Tensor expected)
    {
        AssertSameShape(actual, expected, "");
        using var a = actual.detach().cpu().to_type(ScalarType.Float64);
        using var e = expected.detach().cpu().to_type(ScalarType.Float64);
        using var diff = (a - e).norm();
        using var en = e.norm();
        double num = diff.item<double>(), den = en.item<double>();
        return den == 0 ? num : num / den;
    }

    public static double MaxAbs(Tensor actual, Tensor expected)
    {
        AssertSameShape(actual, expected, "");
        using var a = actual.detach().cpu().to_type(ScalarType.Float64);
        using var e = expected.detach().cpu().to_type(ScalarType.Float64);
        using var d = (a - e).abs().max();
        return d.item<double>();
    }

    public static void RelL2Below(Tensor actual, Tensor expected, double tolerance, string name)
    {
        AssertSameShape(actual, expected, name);
        double err = RelL2(actual, expected);
        Assert.IsTrue(err < tolerance, $"{name}: relative L2 {err:E3} ≥ {tolerance:E1}");
    }

    public static void MaxAbsBelow(Tensor actual, Tensor expected, double tolerance, string name)
    {
        AssertSameShape(actual, expected, name);
        double err = MaxAbs(actual, expected);
        Assert.IsTrue(err <= tolerance, $"{name}: max |Δ| {err:E3} > {tolerance:E1}");
    }

    public static void AssertSameShape(Tensor actual, Tensor expected, string name)
    {
        if (!actual.shape.SequenceEqual(expected.shape))
            Assert.Fail($"{name}: shape [{string.Join(",", actual.shape)}] != expected [{string.Join(",", expected.shape)}]");
    }
}
