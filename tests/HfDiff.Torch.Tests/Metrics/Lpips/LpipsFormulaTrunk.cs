using System.Security.Cryptography;
using System.Text.Json;
using HfDiff.Torch.Metrics.Lpips;
using TorchSharp;
using static TorchSharp.torch;

namespace HfDiff.Torch.Tests.Metrics.Lpips;

/// <summary>
/// The fixture's closed-form trunk weights (iqa README §2): for conv ordinal k with weight (O,I,kh,kw), fan_in = I*kh*kw,
/// W[n] = float32((2 sin(((0.7n + 0.01 n²) + 1.3k) + s)) / sqrt(fan_in)), b[o] = float32(0.01 cos((0.3o + k) + s)),
/// evaluated in float64 in exactly this order.
/// </summary>
internal static class LpipsFormulaTrunk
{
    public static Dictionary<string, Tensor> StateDict(LpipsNet net, JsonElement formula)
    {
        double s = formula.GetProperty("s").GetDouble();
        var convIndices = formula.GetProperty("conv_features_index_by_k").EnumerateArray().Select(e => e.GetInt32()).ToArray();
        using var layout = LpipsTrunk.Create(net);
        CollectionAssert.AreEqual(convIndices, layout.ConvIndices.ToArray(), "conv features indices of the trunk vs config");
        var shapes = layout.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.shape);
        var sd = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        for (int k = 0; k < convIndices.Length; k++)
        {
            var wShape = shapes[$"features.{convIndices[k]}.weight"];
            long outChannels = wShape[0], fanIn = wShape[1] * wShape[2] * wShape[3];
            var w = new float[outChannels * fanIn];
            double root = Math.Sqrt(fanIn);
            for (long n = 0; n < w.Length; n++)
            {
                double nd = n;
                double arg = ((0.7 * nd + 0.01 * (nd * nd)) + 1.3 * k) + s;
                w[n] = (float)((2.0 * Math.Sin(arg)) / root);
            }
            var b = new float[outChannels];
            for (int o = 0; o < outChannels; o++) b[o] = (float)(0.01 * Math.Cos((0.3 * o + k) + s));
            sd[$"features.{convIndices[k]}.weight"] = torch.tensor(w, wShape);
            sd[$"features.{convIndices[k]}.bias"] = torch.tensor(b, [outChannels]);
        }
        return sd;
    }

    /// <summary>Checks every tensor named in <c>backbone_checksums</c>: sum, abs_sum, first4 and sha256 of float32 LE bytes.</summary>
    public static void AssertChecksums(IReadOnlyDictionary<string, Tensor> sd, JsonElement checksums, string what)
    {
        int count = 0;
        foreach (var entry in checksums.EnumerateObject())
        {
            Assert.IsTrue(sd.ContainsKey(entry.Name), $"{what}: no '{entry.Name}'");
            var values = sd[entry.Name].contiguous().data<float>().ToArray();
            double sum = 0, absSum = 0;
            foreach (var v in values) { sum += v; absSum += Math.Abs(v); }
            double expSum = entry.Value.GetProperty("sum").GetDouble(), expAbs = entry.Value.GetProperty("abs_sum").GetDouble();
            Assert.IsTrue(Math.Abs(sum - expSum) <= 1e-6 * Math.Max(1, absSum), $"{what} {entry.Name}: sum {sum} vs {expSum}");
            Assert.IsTrue(Math.Abs(absSum - expAbs) <= 1e-9 * absSum, $"{what} {entry.Name}: abs_sum {absSum} vs {expAbs}");
            var first4 = entry.Value.GetProperty("first4").EnumerateArray().Select(e => (float)e.GetDouble()).ToArray();
            CollectionAssert.AreEqual(first4, values.Take(4).ToArray(), $"{what} {entry.Name}: first4");
            var bytes = new byte[values.Length * 4];
            Buffer.BlockCopy(values, 0, bytes, 0, bytes.Length);
            Assert.IsTrue(BitConverter.IsLittleEndian);
            string sha = Convert.ToHexStringLower(SHA256.HashData(bytes));
            Assert.AreEqual(entry.Value.GetProperty("sha256_f32le").GetString(), sha, $"{what} {entry.Name}: sha256 of float32 LE bytes");
            count++;
        }
        Assert.IsTrue(count > 0, $"{what}: no checksums in config");
    }
}
