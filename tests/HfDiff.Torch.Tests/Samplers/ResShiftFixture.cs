using System.Text.Json;
using HfDiff.Tests.Common;
using HfDiff.Torch.Samplers;
using HfDiff.Torch.Schedules;
using static TorchSharp.torch;

namespace HfDiff.Torch.Tests.Samplers;

/// <summary>The shared ResShift/SinSR fixture (io.safetensors + config.json), loaded once per test class.</summary>
sealed class ResShiftFixture : IDisposable
{
    public ResShiftFixture()
    {
        Dir = TestPaths.Fixture("resshift");
        Config = TestPaths.ReadConfig(Dir);
        Io = new FixtureTensors(Path.Combine(Dir, "io.safetensors"));
        ScheduleOptions = ScheduleOptionsFrom(Config.GetProperty("diffusion").GetProperty("kwargs"));
    }

    public string Dir { get; }
    public JsonElement Config { get; }
    public FixtureTensors Io { get; }
    public ResShiftScheduleOptions ScheduleOptions { get; }

    public Tensor this[string name] => Io[name];

    /// <summary>The diffusion kwargs of config.json as our options (every field read from the fixture).</summary>
    public static ResShiftScheduleOptions ScheduleOptionsFrom(JsonElement k) => new()
    {
        Sf = k.GetProperty("sf").GetInt32(),
        ScheduleName = k.GetProperty("schedule_name").GetString()!,
        Power = k.GetProperty("schedule_kwargs").GetProperty("power").GetDouble(),
        EtasEnd = k.GetProperty("etas_end").GetDouble(),
        Steps = k.GetProperty("steps").GetInt32(),
        MinNoiseLevel = k.GetProperty("min_noise_level").GetDouble(),
        Kappa = k.GetProperty("kappa").GetDouble(),
        WeightedMse = k.GetProperty("weighted_mse").GetBoolean(),
        PredictType = ResShiftPredictTypeNames.TryParse(k.GetProperty("predict_type").GetString()) ?? throw new AssertFailedException("predict_type"),
        TimestepRespacing = k.GetProperty("timestep_respacing").ValueKind == JsonValueKind.Null ? null : k.GetProperty("timestep_respacing").GetInt32(),
        ScaleFactor = k.GetProperty("scale_factor").GetDouble(),
        NormalizeInput = k.GetProperty("normalize_input").GetBoolean(),
        LatentFlag = k.GetProperty("latent_flag").GetBoolean(),
    };

    public void Dispose() => Io.Dispose();
}

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
