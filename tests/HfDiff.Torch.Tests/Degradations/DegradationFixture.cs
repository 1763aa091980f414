using System.Text.Json;
using HfDiff.Tests.Common;
using static TorchSharp.torch;

namespace HfDiff.Torch.Tests.Degradations;

/// <summary>
/// The <c>degradation</c> parity fixture (config.json + io.safetensors), loaded once per test run. Loading throws
/// Inconclusive when fixtures are not available (see <see cref="TestPaths"/>).
/// </summary>
internal sealed class DegradationFixture
{
    static readonly Lazy<DegradationFixture> Instance = new(() => new DegradationFixture(), LazyThreadSafetyMode.ExecutionAndPublication);

    public static DegradationFixture Shared => Instance.Value;

    DegradationFixture()
    {
        Dir = TestPaths.Fixture("degradation");
        Config = TestPaths.ReadConfig(Dir);
        Io = new FixtureTensors(Path.Combine(Dir, "io.safetensors"));
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(Dir, "degradation_options.json")));
        Options = doc.RootElement.Clone();
    }

    public string Dir { get; }
    public JsonElement Config { get; }
    public JsonElement Options { get; }
    public FixtureTensors Io { get; }

    public Tensor this[string name] => Io[name];

    /// <summary>The tensor a config string refers to: exact name, else the only name starting with it (e.g. "image/batch2").</summary>
    public Tensor Resolve(string reference)
    {
        var name = reference.Trim();
        var cut = name.IndexOfAny([' ', '[', '(']);
        if (cut > 0) name = name[..cut];
        if (Io.Contains(name)) return Io[name];
        var matches = Io.Names.Where(n => n.StartsWith(name, StringComparison.Ordinal)).ToList();
        if (matches.Count != 1) Assert.Fail($"Config reference '{reference}' matches {matches.Count} tensors ({string.Join(", ", matches)}).");
        return Io[matches[0]];
    }
}

/// <summary>Error measures used by the degradation parity tests.</summary>
internal static class DegradationAssert
{
    /// <summary>Fraction of elements with |a − e| &gt; <paramref name="threshold"/>.</summary>
    public static double FractionAbove(Tensor actual, Tensor expected, double threshold)
    {
        TensorAssert.AssertSameShape(actual, expected, "");
        using var a = actual.detach().cpu().to_type(ScalarType.Float64);
        using var e = expected.detach().cpu().to_type(ScalarType.Float64);
        using var d = (a - e).abs();
        using var m = d.gt(threshold);
        using var s = m.sum();
        return s.item<long>() / (double)actual.numel();
    }

    /// <summary>
    /// JPEG rule of the fixture README: max-abs ≤ <paramref name="tolerance"/> on ≥ 99.9 % of the pixels; the rest
    /// (quantisation ties flipped by a different summation order) must stay within one coarse step.
    /// </summary>
    public static (double MaxAbs, double FractionAbove) JpegClose(Tensor actual, Tensor expected, double tolerance, string name)
    {
        double max = TensorAssert.MaxAbs(actual, expected);
        double frac = FractionAbove(actual, expected, tolerance);
        Console.WriteLine($"{name}: max |Δ| {max:E3}, fraction > {tolerance:E0}: {frac:P4}");
        Assert.IsTrue(frac <= 0.001, $"{name}: {frac:P4} of the pixels differ by more than {tolerance:E0} (allowed 0.1 %); max |Δ| {max:E3}.");
        Assert.IsTrue(max < 0.25, $"{name}: max |Δ| {max:E3} is larger than any quantisation-tie flip could explain.");
        return (max, frac);
    }

    public static double MaxAbsBelow(Tensor actual, Tensor expected, double tolerance, string name)
    {
        double max = TensorAssert.MaxAbs(actual, expected);
        Console.WriteLine($"{name}: max |Δ| {max:E3} (tolerance {tolerance:E0})");
        Assert.IsTrue(max <= tolerance, $"{name}: max |Δ| {max:E3} > {tolerance:E1}");
        return max;
    }
}
