using System.Text.Json;
using HfDiff.Tests.Common;
using HfDiff.Torch.Configs;
using HfDiff.Torch.Schedules;

namespace HfDiff.Torch.Tests.Configs;

[TestClass]
public class SrConfigReaderTests
{
    // The model/diffusion/autoencoder sections of wyf0912/SinSR configs/SinSR.yaml (values typed in from the official file,
    // in its layout), followed by part of a section we do not read.
    const string SinSrYaml = """
        model:
          target: models.unet.UNetModelSwin
          ckpt_path: ~
          teacher_ckpt_path: weights/resshift_realsrx4_s15_v1.pth
          params:
            image_size: 64
            in_channels: 6
            model_channels: 160
            out_channels: 3
            cond_lq: True
            attention_resolutions: [64,32,16,8]
            dropout: 0
            channel_mult: [1, 2, 2, 4]
            num_res_blocks: [2, 2, 2, 2]
            conv_resample: True
            dims: 2
            use_fp16: False
            num_head_channels: 32
            use_scale_shift_norm: True
            resblock_updown: False
            swin_depth: 2
            swin_embed_dim: 192
            window_size: 8
            mlp_ratio: 4

        diffusion:
          target: models.script_util.create_gaussian_diffusion
          params:
            sf: 4
            schedule_name: exponential
            schedule_kwargs:
              power: 0.3
            etas_end: 0.99
            steps: 15
            min_noise_level: 0.04
            kappa: 2.0
            weighted_mse: False
            predict_type: xstart
            timestep_respacing: ~
            scale_factor: 1.0
            normalize_input: True
            latent_flag: True

        autoencoder:
          target: ldm.models.autoencoder.VQModelTorch
          ckpt_path: weights/autoencoder_vq_f4.pth
          use_fp16: True
          params:
            embed_dim: 3
            n_embed: 8192
            ddconfig:
              double_z: False
              z_channels: 3
              resolution: 256
              in_channels: 3
              out_ch: 3
              ch: 128
              ch_mult:
              - 1
              - 2
              - 4
              num_res_blocks: 2
              attn_resolutions: []
              dropout: 0.0
              padding_mode: zeros

        degradation:
          sf: 4
          # the first degradation process
          resize_prob: [0.2, 0.7, 0.1]  # up, down, keep
          resize_range: [0.15, 1.5]

        train:
          learn_xT: True
          lr: 5e-5
        """;

    // zsyOAOA/ResShift configs/realsr_swinunet_realesrgan256.yaml: the model differs (in_channels 3, lq_size 64).
    static string ResShiftYaml => SinSrYaml
        .Replace("  teacher_ckpt_path: weights/resshift_realsrx4_s15_v1.pth\n", "")
        .Replace("    in_channels: 6\n", "    in_channels: 3\n")
        .Replace("    cond_lq: True\n    attention_resolutions", "    attention_resolutions")
        .Replace("    mlp_ratio: 4\n", "    mlp_ratio: 4\n    cond_lq: True\n    lq_size: 64\n");

    [TestMethod]
    public void Presets_EqualParsedOfficialYaml()
    {
        var sinsr = SrConfigReader.Parse(SinSrYaml, "SinSR.yaml");
        Assert.IsTrue(SrConfigPresets.SinSr.ContentEquals(sinsr.WithoutCheckpointPaths()), Diff(SrConfigPresets.SinSr, sinsr));
        Assert.AreEqual("weights/resshift_realsrx4_s15_v1.pth", sinsr.Model.Settings["teacher_ckpt_path"]);
        Assert.AreEqual("weights/autoencoder_vq_f4.pth", sinsr.Autoencoder!.CkptPath);
        Assert.IsTrue(sinsr.Autoencoder.UseFp16);
        Assert.IsNull(sinsr.Model.CkptPath);

        var resshift = SrConfigReader.Parse(ResShiftYaml, "realsr_swinunet_realesrgan256.yaml");
        StringAssert.Contains(ResShiftYaml, "lq_size: 64");
        Assert.IsTrue(SrConfigPresets.ResShift.ContentEquals(resshift.WithoutCheckpointPaths()), Diff(SrConfigPresets.ResShift, resshift));
        Assert.IsFalse(SrConfigPresets.ResShift.ContentEquals(SrConfigPresets.SinSr), "the two presets must differ (model)");
        Assert.AreSame(SrConfigPresets.SinSr, SrConfigPresets.Get("SinSR"));
        Assert.AreSame(SrConfigPresets.ResShift, SrConfigPresets.Get("resshift"));
    }

    static string Diff(SrConfig a, SrConfig b) =>
        $"preset model {ConfigValues.Format(a.Model.Params)}\nparsed model {ConfigValues.Format(b.Model.Params)}\n" +
        $"preset diffusion {a.Diffusion}\nparsed diffusion {b.Diffusion}\n" +
        $"preset ae {ConfigValues.Format(a.Autoencoder?.Params)} {ConfigValues.Format(a.Autoencoder?.Settings)}\n" +
        $"parsed ae {ConfigValues.Format(b.Autoencoder?.Params)} {ConfigValues.Format(b.Autoencoder?.Settings)}";

    [TestMethod]
    public void Parse_ValueTypes_ResolveLikeOmegaConf()
    {
        var c = SrConfigReader.Parse(SinSrYaml, "x.yaml");
        Assert.IsInstanceOfType<int>(c.Model.Params["image_size"]);
        Assert.IsInstanceOfType<bool>(c.Model.Params["cond_lq"]);
        var dd = (IReadOnlyDictionary<string, object?>)c.Autoencoder!.Params["ddconfig"]!;
        Assert.IsInstanceOfType<double>(dd["dropout"]);
        Assert.AreEqual("zeros", dd["padding_mode"]);
        Assert.AreEqual(0, ((IReadOnlyList<object?>)dd["attn_resolutions"]!).Count);
        CollectionAssert.AreEqual(new object?[] { 1, 2, 4 }, ((IReadOnlyList<object?>)dd["ch_mult"]!).ToArray());
        Assert.IsNull(c.DiffusionParams["timestep_respacing"]);
        var quoted = SrConfigReader.Parse(SinSrYaml.Replace("padding_mode: zeros", "padding_mode: '123'"), "q.yaml");
        Assert.AreEqual("123", ((IReadOnlyDictionary<string, object?>)quoted.Autoencoder!.Params["ddconfig"]!)["padding_mode"]);
    }

    [TestMethod]
    public void Parse_MissingDiffusionKeys_TakeCreateGaussianDiffusionDefaults()
    {
        var c = SrConfigReader.Parse("""
            model: {target: m.Net}
            diffusion:
              target: models.script_util.create_gaussian_diffusion
              params: {schedule_name: exponential, schedule_kwargs: {power: 0.5}, normalize_input: false, timestep_respacing: 10}
            """, "min.yaml");
        var d = c.Diffusion;
        Assert.AreEqual(1000, d.Steps);
        Assert.AreEqual(1.0, d.Kappa);
        Assert.AreEqual(0.01, d.MinNoiseLevel);
        Assert.AreEqual(0.99, d.EtasEnd);
        Assert.AreEqual(4, d.Sf);
        Assert.AreEqual(0.5, d.Power);
        Assert.AreEqual(10, d.TimestepRespacing);
        Assert.IsFalse(d.NormalizeInput);
        Assert.IsNull(c.Autoencoder);
        Assert.AreEqual(0, c.Model.Params.Count);
    }

    [TestMethod]
    public void Load_MalformedYaml_ThrowsNamingFileAndLine()
    {
        var path = Path.Combine(Path.GetTempPath(), $"hfdiff-bad-{Guid.NewGuid():N}.yaml");
        File.WriteAllText(path, "model:\n  target: a.B\n  params:\n    channel_mult: [1, 2\ndiffusion:\n  target: x\n");
        try
        {
            var e = Assert.ThrowsExactly<SrConfigException>(() => SrConfigReader.Load(path));
            StringAssert.Contains(e.Message, path);
            Assert.IsNotNull(e.Line);
            Assert.IsTrue(e.Line >= 4 && e.Line <= 6, $"line {e.Line}: {e.Message}");
            StringAssert.Contains(e.Message, $"({e.Line})");
            Console.WriteLine(e.Message);
        }
        finally { File.Delete(path); }
        var e2 = Assert.ThrowsExactly<SrConfigException>(() => SrConfigReader.Parse("model:\n  target: a.B\ndiffusion: x\n  - item\n", "indent.yaml"));
        Console.WriteLine(e2.Message);
        StringAssert.Contains(e2.Message, "indent.yaml(");
        Assert.IsTrue(e2.Line is 3 or 4, e2.Message);
        var missing = Assert.ThrowsExactly<SrConfigException>(() => SrConfigReader.Load("/nonexistent/dir/cfg.yaml"));
        StringAssert.Contains(missing.Message, "/nonexistent/dir/cfg.yaml");
    }

    [TestMethod]
    public void Parse_StructuralErrors_NameTheKeyAndLine()
    {
        var noDiffusion = Assert.ThrowsExactly<SrConfigException>(() => SrConfigReader.Parse("model: {target: a.B}\n", "a.yaml"));
        StringAssert.Contains(noDiffusion.Message, "'diffusion'");
        StringAssert.Contains(noDiffusion.Message, "a.yaml");

        var badSteps = SinSrYaml.Replace("steps: 15", "steps: fifteen");
        int line = badSteps.Split('\n').ToList().FindIndex(l => l.Contains("steps: fifteen")) + 1;
        var e = Assert.ThrowsExactly<SrConfigException>(() => SrConfigReader.Parse(badSteps, "s.yaml"));
        StringAssert.Contains(e.Message, "diffusion.params.steps");
        Assert.AreEqual(line, e.Line, e.Message);

        var badPredict = Assert.ThrowsExactly<SrConfigException>(() => SrConfigReader.Parse(SinSrYaml.Replace("predict_type: xstart", "predict_type: v"), "p.yaml"));
        StringAssert.Contains(badPredict.Message, "predict_type");

        var noTarget = Assert.ThrowsExactly<SrConfigException>(() => SrConfigReader.Parse(SinSrYaml.Replace("  target: ldm.models.autoencoder.VQModelTorch\n", ""), "t.yaml"));
        StringAssert.Contains(noTarget.Message, "autoencoder.target");

        var notAMap = Assert.ThrowsExactly<SrConfigException>(() => SrConfigReader.Parse("- 1\n- 2\n", "l.yaml"));
        StringAssert.Contains(notAMap.Message, "top level");

        var unknownPreset = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => SrConfigPresets.Get("ldm"));
        StringAssert.Contains(unknownPreset.Message, "sinsr");
    }

    // -------------------------------------------------------------------------------- against the fixture's config.json

    static object? FromJson(JsonElement e) => e.ValueKind switch
    {
        JsonValueKind.Null => null,
        JsonValueKind.True => true,
        JsonValueKind.False => false,
        JsonValueKind.String => e.GetString(),
        JsonValueKind.Number => e.GetRawText().IndexOfAny(['.', 'e', 'E']) >= 0 ? (object)e.GetDouble() : e.GetInt32(),
        JsonValueKind.Array => e.EnumerateArray().Select(FromJson).ToList(),
        JsonValueKind.Object => e.EnumerateObject().ToDictionary(p => p.Name, p => FromJson(p.Value)),
        _ => throw new AssertFailedException($"unexpected JSON {e.ValueKind}"),
    };

    [TestMethod, TestCategory("Parity.ResShift")]
    public void Presets_MatchFixtureOfficialConstructorKwargs()
    {
        var cfg = TestPaths.ReadConfig(TestPaths.Fixture("resshift"));
        var full = cfg.GetProperty("official_full");
        void Same(IReadOnlyDictionary<string, object?> preset, JsonElement json, string what) =>
            Assert.IsTrue(ConfigValues.DeepEquals(preset, FromJson(json)),
                $"{what}\npreset  {ConfigValues.Format(preset)}\nfixture {ConfigValues.Format(FromJson(json))}");
        Same(SrConfigPresets.ResShift.Model.Params, full.GetProperty("resshift_unet"), "ResShift UNet");
        Same(SrConfigPresets.SinSr.Model.Params, full.GetProperty("sinsr_unet"), "SinSR UNet");
        Same(SrConfigPresets.SinSr.Autoencoder!.Params, full.GetProperty("autoencoder"), "VQ f4");
        Same(SrConfigPresets.ResShift.Autoencoder!.Params, full.GetProperty("autoencoder"), "VQ f4");
        var kwargs = cfg.GetProperty("diffusion").GetProperty("kwargs");
        Same(SrConfigPresets.SinSr.DiffusionParams, kwargs, "diffusion kwargs");
        Assert.AreEqual(ResShiftFixture.ScheduleOptionsFrom(kwargs), SrConfigPresets.SinSr.Diffusion);
        Assert.AreEqual(SrConfigReader.GaussianDiffusionTarget, cfg.GetProperty("diffusion").GetProperty("target").GetString());
    }
}
