using System.Text.Json;
using HfDiff.Tests.Common;
using static TorchSharp.torch;

namespace HfDiff.Torch.Tests.Archs.ResShift;

/// <summary>Paths and config sections of the shared ResShift/SinSR fixture (README: fixtures/resshift/README.md).</summary>
internal static class ResShiftFixture
{
    public static string Dir => TestPaths.Fixture("resshift");
    public static JsonElement Config => TestPaths.ReadConfig(Dir);
    public static string File(string name) => Path.Combine(Dir, name);
    public static FixtureTensors Io() => new(File("io.safetensors"));

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
