using System.Globalization;
using System.Text.RegularExpressions;
using HfDiff.Torch.Degradations;
using static TorchSharp.torch;

namespace HfDiff.Torch.Tests.Degradations;

/// <summary>
/// A noise call of the fixture's config.json, e.g. <c>add_gaussian_noise_pt(image/batch2, sigma=noise/gauss_sigma,
/// gray_noise=0, clip=True, rounds=False); torch.randn calls answered, in order, by noise/a (H,W) then noise/b ...</c>.
/// </summary>
internal sealed partial class NoiseCall
{
    public required string Output { get; init; }
    public required string Function { get; init; }
    public required string Input { get; init; }
    public required Dictionary<string, string> Arguments { get; init; }
    /// <summary>Stored draws in call order.</summary>
    public required List<string> Draws { get; init; }

    public bool Flag(string name) => Arguments[name] switch
    {
        "True" => true,
        "False" => false,
        var v => throw new AssertFailedException($"{Output}: argument {name}={v} is not a bool."),
    };

    /// <summary>A per-sample tensor argument (a tensor name or a number broadcast to the batch).</summary>
    public Tensor PerSample(DegradationFixture fx, string name, long batch)
    {
        var v = Arguments[name];
        if (double.TryParse(v, NumberStyles.Float, CultureInfo.InvariantCulture, out var number))
            return full(batch, number, ScalarType.Float32);
        return fx[v].alias();
    }

    public bool IsScalar(string name) => double.TryParse(Arguments[name], NumberStyles.Float, CultureInfo.InvariantCulture, out _);

    public double Scalar(string name) => double.Parse(Arguments[name], CultureInfo.InvariantCulture);

    public ReplayNoiseSampler Sampler(DegradationFixture fx)
    {
        var s = new ReplayNoiseSampler();
        foreach (var d in Draws) s.Enqueue(d, fx[d]);
        return s;
    }

    public static NoiseCall Parse(string output, string text)
    {
        var clauses = text.Split(';');
        var m = CallRegex().Match(clauses[0].Trim());
        if (!m.Success) throw new AssertFailedException($"{output}: cannot parse call '{clauses[0]}'.");
        var parts = m.Groups[2].Value.Split(',').Select(p => p.Trim()).ToList();
        var args = parts.Skip(1).Select(p => p.Split('=', 2)).ToDictionary(kv => kv[0].Trim(), kv => kv[1].Trim());
        var draws = clauses.Length > 1 ? TensorNameRegex().Matches(clauses[1]).Select(x => x.Value).ToList() : [];
        return new NoiseCall { Output = output, Function = m.Groups[1].Value, Input = parts[0], Arguments = args, Draws = draws };
    }

    [GeneratedRegex(@"^(\w+)\((.*)\)$")]
    private static partial Regex CallRegex();

    [GeneratedRegex(@"noise/[A-Za-z0-9_]+")]
    private static partial Regex TensorNameRegex();

    public static IEnumerable<NoiseCall> All(DegradationFixture fx, string function) =>
        fx.Config.GetProperty("noise").EnumerateObject()
            .Select(p => Parse("noise/" + p.Name, p.Value.GetString()!))
            .Where(c => c.Function == function);
}
