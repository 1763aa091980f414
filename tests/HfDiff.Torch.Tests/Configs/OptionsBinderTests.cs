using System.Text.Json;
using HfDiff.Torch.Configs;
using HfDiff.Tests.Common;
using HfDiff.Torch.Degradations;
using HfDiff.Torch.Schedules;
using HfDiff.Torch.Metrics;

namespace HfDiff.Torch.Tests.Configs;

/// <summary>The one binding idiom (<see cref="OptionsBinder"/>) as each of its sources uses it.</summary>
[TestClass]
public class OptionsBinderTests
{
    static Dictionary<string, string> S(params (string Key, string Value)[] kv) => kv.ToDictionary(p => p.Key, p => p.Value);

    [TestMethod]
    public void MetricSettings_ParsesInvariantlyAndLoosely()
    {
        var o = MetricSettings.Apply("psnr", new PsnrOptions(), S(("test_y_channel", " yes "), ("ColorSpace", "YCbCr"), ("crop_border", "4")));
        Assert.AreEqual(new PsnrOptions { TestYChannel = true, ColorSpace = YChannelColorSpace.YCbCr, CropBorder = 4 }, o);
        Assert.AreEqual(new PsnrOptions(), MetricSettings.Apply("psnr", new PsnrOptions(), S()));
    }

    [TestMethod]
    public void MetricSettings_UnknownKey_ListsKnownSettings()
    {
        var e = Assert.ThrowsExactly<ArgumentException>(() => MetricSettings.Apply("psnr", new PsnrOptions(), S(("crop_bordr", "4"))));
        Assert.AreEqual("Metric 'psnr' has no setting 'crop_bordr'. Known settings: test_y_channel, color_space, crop_border.", e.Message);
    }

    [TestMethod]
    public void MetricSettings_BadValue_NamesMetricKeyValueAndAllowed()
    {
        var e = Assert.ThrowsExactly<ArgumentException>(() => MetricSettings.Apply("psnr", new PsnrOptions(), S(("crop_border", "4.5"))));
        Assert.AreEqual("Metric 'psnr': setting 'crop_border' must be an integer; got '4.5'.", e.Message);
        e = Assert.ThrowsExactly<ArgumentException>(() => MetricSettings.Apply("psnr", new PsnrOptions(), S(("color_space", "rgb"))));
        Assert.AreEqual("Metric 'psnr': setting 'color_space' must be one of yiq, ycbcr; got 'rgb'.", e.Message);
        e = Assert.ThrowsExactly<ArgumentException>(() => MetricSettings.Apply("psnr", new PsnrOptions(), S(("test_y_channel", "maybe"))));
        Assert.AreEqual("Metric 'psnr': setting 'test_y_channel' must be true or false; got 'maybe'.", e.Message);
    }

    [TestMethod]
    public void MetricSettings_Describe_SnakeCaseInDeclarationOrder()
    {
        CollectionAssert.AreEqual(new[] { ("test_y_channel", "false"), ("color_space", "yiq"), ("crop_border", "0") },
            MetricSettings.Describe(new PsnrOptions()).ToArray());
    }

    [TestMethod]
    public void Kwargs_TakeUntypedAndIntegralFloatValues_AndListKnownKeysForUnexpectedOnes()
    {
        var kwargs = new Dictionary<string, object?> { ["a"] = "3", ["b"] = 4.0, ["c"] = new List<object?> { "1", 2L }, ["d"] = "True" };
        var r = new OptionsBinder.Reader(kwargs, "Owner");
        Assert.AreEqual(3, r.Required<int>("a"));
        Assert.AreEqual(4, r.Get("b", 0));
        CollectionAssert.AreEqual(new[] { 1, 2 }, r.Required<int[]>("c"));
        Assert.IsTrue(r.Get("d", false));
        Assert.AreEqual(7, r.Get("e", 7));
        r.ThrowOnUnused();

        var extra = new OptionsBinder.Reader(new Dictionary<string, object?> { ["a"] = 1, ["z"] = 2 }, "Owner");
        extra.Get("a", 0);
        extra.Get("b", 0);
        Assert.AreEqual("Owner: unexpected keyword argument(s) 'z'. Known: a, b.",
            Assert.ThrowsExactly<ArgumentException>(extra.ThrowOnUnused).Message);
        Assert.AreEqual("Owner: 'a' must be an integer; got 1.5.",
            Assert.ThrowsExactly<ArgumentException>(() => new OptionsBinder.Reader(new Dictionary<string, object?> { ["a"] = 1.5 }, "Owner").Required<int>("a")).Message);
        Assert.AreEqual("Owner: missing required argument 'a'.",
            Assert.ThrowsExactly<ArgumentException>(() => new OptionsBinder.Reader(new Dictionary<string, object?>(), "Owner").Required<int>("a")).Message);
    }

    static RealEsrganDegradationOptions Degradation(string json)
    {
        using var doc = JsonDocument.Parse(json);
        return RealEsrganDegradationOptionsJson.FromJson(doc.RootElement, "d.json");
    }

    [TestMethod]
    public void DegradationJson_BindsTypedValuesByRealEsrganName()
    {
        var o = Degradation("""{ "model_opts": { "scale": 2, "jpeg_range": [50, 60.5], "kernel_list": ["iso", "generalized_aniso"], "kernel_prob": [0.5, 0.5] }, "dataset_opts": { "use_rot": true } }""");
        Assert.AreEqual(2, o.Scale);
        Assert.AreEqual((50.0, 60.5), o.JpegRange);
        CollectionAssert.AreEqual(new[] { BlurKernelType.Iso, BlurKernelType.GeneralizedAniso }, o.KernelList.ToArray());
        Assert.IsTrue(o.UseRot);
    }

    [TestMethod]
    public void DegradationJson_Errors_NameSourceKeyValueAndAllowed()
    {
        Assert.AreEqual("d.json: option 'scale' must be an integer; got 2.5.",
            Assert.ThrowsExactly<InvalidDataException>(() => Degradation("""{ "scale": 2.5 }""")).Message);
        Assert.AreEqual("d.json: option 'use_rot' must be true or false; got \"yes\".",
            Assert.ThrowsExactly<InvalidDataException>(() => Degradation("""{ "use_rot": "yes" }""")).Message);
        Assert.AreEqual("d.json: option 'noise_range' must be [min, max] (two numbers); got [1].",
            Assert.ThrowsExactly<InvalidDataException>(() => Degradation("""{ "noise_range": [1] }""")).Message);
        StringAssert.Contains(Assert.ThrowsExactly<InvalidDataException>(() => Degradation("""{ "kernel_list": ["gaussian"] }""")).Message,
            "must be a list of names (iso, aniso, generalized_iso, generalized_aniso, plateau_iso, plateau_aniso)");
        StringAssert.StartsWith(Assert.ThrowsExactly<InvalidDataException>(() => Degradation("""{ "scal": 2 }""")).Message,
            "d.json: unknown option 'scal'. Known options: scale, l1_gt_usm,");
    }

    static string Without(string key) =>
        string.Join('\n', TinySrConfig.Yaml.Split('\n').Where(l => !l.TrimStart().StartsWith(key + ":", StringComparison.Ordinal)));

    [TestMethod]
    public void DiffusionParams_BindTypedYamlValues_WithPythonDefaults()
    {
        var d = SrConfigReader.Parse(TinySrConfig.With("predict_type", "epsilon_scale"), "t.yaml").Diffusion;
        Assert.AreEqual(ResShiftPredictType.EpsilonScale, d.PredictType);
        Assert.AreEqual((4, 0.04, 15, 2.0, 0.3, (int?)null), (d.Sf, d.MinNoiseLevel, d.Steps, d.Kappa, d.Power, d.TimestepRespacing));
        Assert.AreEqual(ResShiftPredictType.XStart, SrConfigReader.Parse(Without("predict_type"), "t.yaml").Diffusion.PredictType);
        Assert.AreEqual(1.0, SrConfigReader.Parse(Without("kappa"), "t.yaml").Diffusion.Kappa);
        Assert.AreEqual(5, SrConfigReader.Parse(TinySrConfig.With("timestep_respacing", "5"), "t.yaml").Diffusion.TimestepRespacing);
    }

    [TestMethod]
    public void DiffusionParams_Errors_NameFileLineKeyValueAndAllowed()
    {
        // PORT-QUIRK kept: YAML values are typed by the core schema, so 4.0 is not an integer and 'true' quoted is not a boolean.
        void Refused(string key, string value, string message)
        {
            var yaml = TinySrConfig.With(key, value);
            int line = yaml.Split('\n').ToList().FindIndex(l => l.TrimStart().StartsWith(key + ":", StringComparison.Ordinal)) + 1;
            var e = Assert.ThrowsExactly<SrConfigException>(() => SrConfigReader.Parse(yaml, "t.yaml"));
            Assert.AreEqual($"t.yaml({line}): {message}", e.Message);
        }
        Refused("sf", "4.0", "'diffusion.params.sf' must be an integer; got 4.0.");
        Refused("normalize_input", "'true'", "'diffusion.params.normalize_input' must be true or false; got 'true'.");
        Refused("kappa", "two", "'diffusion.params.kappa' must be a number; got 'two'.");
        Refused("predict_type", "x0", "'diffusion.params.predict_type' must be one of xstart, epsilon, epsilon_scale, residual; got 'x0'.");
        Refused("power", "~", "'diffusion.params.schedule_kwargs.power' must be a number; got null.");
        Refused("steps", "0", "'diffusion.params.steps' must be in [1, 100000]; got 0.");
    }

    [TestMethod]
    public void TrainingYaml_ReadsTextAsPythonNumbers_AndItsQuirkReaders()
    {
        var values = new Dictionary<string, object?>
        {
            ["iterations"] = "1e5", ["learn_xT"] = "1", ["off"] = "0.0", ["lr"] = "2e-4", ["batch"] = new List<object?> { "8", "2" },
            ["single"] = "16", ["gt"] = "True", ["p"] = "0.5", ["mode"] = " RGB ",
        };
        var r = new OptionsBinder.Reader(values, ValueRules.TrainingYaml, BindingErrors.Kwargs("T"));
        Assert.AreEqual(100_000L, r.Required<long>("iterations"));
        Assert.IsTrue(r.Required<bool>("learn_xT"));
        Assert.IsFalse(r.Required<bool>("off"));
        Assert.AreEqual(2e-4, r.Required<double>("lr"));
        Assert.AreEqual(8, r.FirstOrSingle("batch", 1));
        Assert.AreEqual(16, r.FirstOrSingle("single", 1));
        Assert.AreEqual(3, r.FirstOrSingle("absent", 3));
        Assert.AreEqual(1.0, r.NumberOrBool("gt", 0));
        Assert.AreEqual(0.5, r.NumberOrBool("p", 0));
        Assert.AreEqual(2, r.Choice("mode", 0, ("image", 1), ("rgb", 2)));
        r.ThrowOnUnused();
        Assert.AreEqual("T: 'mode' must be one of a, b; got ' RGB '.",
            Assert.ThrowsExactly<ArgumentException>(() => new OptionsBinder.Reader(values, ValueRules.TrainingYaml, BindingErrors.Kwargs("T")).Choice("mode", 0, ("a", 1), ("b", 2))).Message);
        // The other sources keep their rules: no whole-float text for integers, no numbers for booleans.
        var kwargs = new OptionsBinder.Reader(values, "K");
        Assert.ThrowsExactly<ArgumentException>(() => kwargs.Required<long>("iterations"));
        Assert.ThrowsExactly<ArgumentException>(() => new OptionsBinder.Reader(new Dictionary<string, object?> { ["b"] = 1 }, ValueRules.TypedYaml, BindingErrors.Kwargs("Y")).Required<bool>("b"));
    }
}
