using System.Text;
using HfDiff.Tests.Common;
using HfDiff.Torch.Archs.ResShift;
using HfDiff.Torch.Configs;
using HfDiff.Torch.Pipelines;

namespace HfDiff.Torch.Tests.Configs;

/// <summary>
/// Malformed and absurd YAML configs, generated here: nesting, alias bombs, huge files, non-regular files, step counts
/// and network sizes that cannot fit in memory are one-line <see cref="SrConfigException"/>s naming the file, raised
/// before anything large is allocated.
/// </summary>
[TestClass]
public class SrConfigLimitsTests
{
    static string Temp(string name) => Path.Combine(Path.GetTempPath(), $"hfdiff-cfg-{Guid.NewGuid():N}-{name}");

    static SrConfigException AssertRefused(Action act, string source, params string[] fragments)
    {
        var e = Assert.ThrowsExactly<SrConfigException>(act);
        StringAssert.Contains(e.Message, source);
        foreach (var f in fragments) StringAssert.Contains(e.Message, f);
        Assert.DoesNotContain("\n", e.Message);
        return e;
    }

    [TestMethod]
    public void Parse_TinyConfig_Reads()
    {
        var c = SrConfigReader.Parse(TinySrConfig.Yaml, "tiny.yaml");
        Assert.AreEqual(15, c.Diffusion.Steps);
        Assert.AreEqual(32, UNetModelSwinOptions.FromDictionary(c.Model.Params).ModelChannels);
    }

    [TestMethod]
    public void Parse_DeepNesting_RefusedWithLine()
    {
        var yaml = "model: " + new string('[', 5000) + new string(']', 5000) + "\n";
        var e = AssertRefused(() => SrConfigReader.Parse(yaml, "deep.yaml"), "deep.yaml", $"nested more than {SrConfigReader.MaxDepth} levels");
        Assert.AreEqual(1, e.Line);
    }

    [TestMethod]
    public void Parse_AliasBomb_RefusedEarly()
    {
        var sb = new StringBuilder("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
        for (int i = 1; i < 10; i++)
            sb.Append($"a{i}: &a{i} [").Append(string.Join(", ", Enumerable.Repeat($"*a{i - 1}", 10))).Append("]\n");
        sb.Append("model: {target: models.unet.UNetModelSwin, params: {bomb: *a9}}\n");
        AssertRefused(() => SrConfigReader.Parse(sb.ToString(), "laughs.yaml"), "laughs.yaml", "more than 100000 values");
    }

    [TestMethod]
    public void Parse_MalformedYaml_RefusedWithLine()
    {
        AssertRefused(() => SrConfigReader.Parse("model: [unclosed\n  target: x\n", "broken.yaml"), "broken.yaml", "malformed YAML");
        AssertRefused(() => SrConfigReader.Parse("model: {target: a, target: b}\n", "twice.yaml"), "twice.yaml");
        AssertRefused(() => SrConfigReader.Parse("model: *nowhere\n", "alias.yaml"), "alias.yaml");
    }

    [TestMethod]
    public void Parse_AbsurdSteps_Refused()
    {
        AssertRefused(() => SrConfigReader.Parse(TinySrConfig.With("steps", "1000000000"), "steps.yaml"), "steps.yaml", "'diffusion.params.steps' must be in [1, 100000]; got 1000000000");
        AssertRefused(() => SrConfigReader.Parse(TinySrConfig.With("steps", "0"), "zero.yaml"), "zero.yaml", "got 0");
        AssertRefused(() => SrConfigReader.Parse(TinySrConfig.With("steps", "99999999999"), "long.yaml"), "long.yaml", "must be an integer");
    }

    [TestMethod]
    public void Load_HugeOrNonRegularFile_Refused()
    {
        var big = Temp("big.yaml");
        File.WriteAllText(big, "# " + new string('x', (int)SrConfigReader.MaxFileBytes) + "\n");
        try { AssertRefused(() => SrConfigReader.Load(big), big, "at most"); }
        finally { File.Delete(big); }
        if (!OperatingSystem.IsLinux()) return;
        var fifo = Temp("fifo.yaml");
        using (var mk = System.Diagnostics.Process.Start("mkfifo", [fifo])) mk.WaitForExit();
        try
        {
            foreach (var path in new[] { "/dev/zero", fifo })
            {
                var task = Task.Run(() => Assert.ThrowsExactly<SrConfigException>(() => SrConfigReader.Load(path)));
                Assert.IsTrue(task.Wait(TimeSpan.FromSeconds(60)), $"{path}: still reading");
                StringAssert.Contains(task.Result.Message, "not a regular file");
            }
        }
        finally { File.Delete(fifo); }
    }

    [TestMethod]
    public void SuperResolver_ConfigTooLargeForMemory_RefusedBeforeBuilding()
    {
        // Sizes absurd on any machine (>= 1e12 parameters): a case that fits would allocate for real and may take the host down.
        var cases = new (string Key, string Yaml, string Fragment)[]
        {
            ("model_channels", TinySrConfig.With("model_channels", "10000000"), "model.params: UNetModelSwin settings describe about"),
            ("swin_embed_dim", TinySrConfig.With("swin_embed_dim", "1048576"), "UNetModelSwin settings"),
            ("n_embed", TinySrConfig.With("n_embed", "2000000000").Replace("embed_dim: 3\n", "embed_dim: 100000\n"), "autoencoder.params: VQModelTorch settings describe about"),
            ("ch", TinySrConfig.With("ch", "4194304"), "VQModelTorch settings"),
        };
        foreach (var (key, yaml, fragment) in cases)
        {
            var path = Temp($"{key}.yaml");
            File.WriteAllText(path, yaml);
            try
            {
                var e = AssertRefused(() => SuperResolver.WithRandomWeights(new SuperResolverOptions { Config = path }).Dispose(), path, fragment, "memory available");
                StringAssert.Contains(e.Message, key == "ch" ? "ddconfig.ch" : key);
            }
            finally { File.Delete(path); }
        }
    }

    [TestMethod]
    public void SuperResolver_InvalidNetworkSetting_NamesFileAndSection()
    {
        var path = Temp("odd.yaml");
        File.WriteAllText(path, TinySrConfig.With("model_channels", "33"));
        try { AssertRefused(() => SuperResolver.WithRandomWeights(new SuperResolverOptions { Config = path }).Dispose(), path, "model.params: model_channels must be"); }
        finally { File.Delete(path); }
    }

    [TestMethod]
    public void EstimatedParameterCount_TinyNetworks_WithinFactorTwoOfActual()
    {
        var c = SrConfigReader.Parse(TinySrConfig.Yaml, "tiny.yaml");
        var unetOptions = UNetModelSwinOptions.FromDictionary(c.Model.Params);
        var vqOptions = VQModelOptions.FromDictionary(c.Autoencoder!.Params);
        using var unet = new UNetModelSwin(unetOptions);
        using var vq = new VQModelTorch(vqOptions);
        foreach (var (name, estimate, actual) in new[]
                 {
                     ("unet", unetOptions.EstimatedParameterCount(), (double)unet.parameters().Sum(p => p.numel())),
                     ("vq", vqOptions.EstimatedParameterCount(), (double)vq.parameters().Sum(p => p.numel())),
                 })
            Assert.IsTrue(estimate >= 0.5 * actual && estimate <= 2 * actual, $"{name}: estimate {estimate}, actual {actual}");
    }
}
