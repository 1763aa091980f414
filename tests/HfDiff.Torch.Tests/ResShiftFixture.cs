using System.Text.Json;
using HfDiff.Tests.Common;
using HfDiff.Torch.Schedules;
using static TorchSharp.torch;

namespace HfDiff.Torch.Tests;

/// <summary>
/// The shared ResShift/SinSR fixture (fixtures/resshift/README.md): an instance holds io.safetensors, config.json and
/// the schedule options for a test class; the static members give paths, manifests and the state-dict check.
/// </summary>
sealed class ResShiftFixture : IDisposable
{

    public ResShiftFixture()
    {
        Dir = Folder;
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

    public static string Folder => TestPaths.Fixture("resshift");
    public static JsonElement ReadConfig() => TestPaths.ReadConfig(Folder);
    public static string File(string name) => Path.Combine(Folder, name);
    public static FixtureTensors OpenIo() => new(File("io.safetensors"));

    public static JsonElement Manifest(string model)
    {
        using var doc = JsonDocument.Parse(System.IO.File.ReadAllText(File("manifest_full.json")));
        return doc.RootElement.GetProperty(model).Clone();
    }

    /// <summary>Asserts a module's state_dict has exactly the manifest's keys, shapes and dtypes.</summary>
    public static void AssertStateDictMatchesManifest(nn.Module module, JsonElement manifest, string what)
    {
        var sd = module.state_dict();
        var expected = manifest.GetProperty("keys").EnumerateObject().ToDictionary(p => p.Name, p => p.Value);
        var missing = expected.Keys.Where(k => !sd.ContainsKey(k)).ToList();
        var extra = sd.Keys.Where(k => !expected.ContainsKey(k)).ToList();
        Assert.IsTrue(missing.Count == 0 && extra.Count == 0,
            $"{what}: missing {missing.Count} [{string.Join(", ", missing.Take(5))}], unexpected {extra.Count} [{string.Join(", ", extra.Take(5))}]");
        Assert.AreEqual(manifest.GetProperty("n_keys").GetInt32(), sd.Count, $"{what}: key count");
        foreach (var (key, spec) in expected)
        {
            var shape = spec.GetProperty("shape").EnumerateArray().Select(e => e.GetInt64()).ToArray();
            CollectionAssert.AreEqual(shape, sd[key].shape, $"{what}: shape of {key}");
            var dtype = spec.GetProperty("dtype").GetString() switch
            {
                "float32" => ScalarType.Float32,
                "int64" => ScalarType.Int64,
                var s => throw new AssertFailedException($"{what}: unexpected manifest dtype {s} for {key}"),
            };
            Assert.AreEqual(dtype, sd[key].dtype, $"{what}: dtype of {key}");
        }
        long nParams = module.parameters().Sum(p => p.numel());
        Assert.AreEqual(manifest.GetProperty("n_parameters").GetInt64(), nParams, $"{what}: parameter count");
        long nBuffers = module.named_buffers().Sum(b => b.buffer.numel());
        Assert.AreEqual(manifest.GetProperty("n_buffer_elements").GetInt64(), nBuffers, $"{what}: buffer elements");
    }
}
