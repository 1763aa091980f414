using System.Text.Json;
using HfDiff.Tests.Common;
using HfDiff.Torch.Samplers;
using HfDiff.Torch.Schedules;
using static TorchSharp.torch;

namespace HfDiff.Torch.Tests.Samplers;

/// <summary>Returns stored tensors in order and counts the draws.</summary>
sealed class ReplayNoise(IReadOnlyList<Tensor> draws, bool allowExtraRandom = false) : INoiseSource
{
    public int Count { get; private set; }

    public Tensor RandnLike(Tensor like)
    {
        int i = Count++;
        if (i >= draws.Count)
        {
            if (allowExtraRandom) return randn(like.shape);
            Assert.Fail($"Noise draw #{i + 1} requested; the reference draws only {draws.Count}.");
        }
        TensorAssert.AssertSameShape(like, draws[i], $"noise draw #{i + 1}");
        return draws[i].clone();
    }
}

/// <summary>A denoiser that checks its input/timestep against the reference and returns the stored network output.</summary>
sealed class ReplayDenoiser(IReadOnlyList<(Tensor ExpectedInput, long ExpectedT, Tensor Output)> calls, Tensor? expectedLq, double inputTolerance)
{
    public int Count { get; private set; }
    public double WorstInputRelL2 { get; private set; }

    public Tensor Forward(Tensor x, Tensor t, Tensor lq)
    {
        int i = Count++;
        if (i >= calls.Count) Assert.Fail($"Denoiser call #{i + 1}; the reference makes only {calls.Count}.");
        var (input, tt, output) = calls[i];
        double err = TensorAssert.RelL2(x, input);
        WorstInputRelL2 = Math.Max(WorstInputRelL2, err);
        Assert.IsTrue(err < inputTolerance, $"call {i}: model input relative L2 {err:E3} >= {inputTolerance:E1}");
        Assert.AreEqual(ScalarType.Int64, t.dtype, $"call {i}: timestep dtype");
        CollectionAssert.AreEqual(Enumerable.Repeat(tt, (int)x.shape[0]).ToArray(), t.data<long>().ToArray(), $"call {i}: timesteps");
        if (expectedLq is not null) TensorAssert.MaxAbsBelow(lq, expectedLq, 0, $"call {i}: lq");
        return output.clone();
    }
}
