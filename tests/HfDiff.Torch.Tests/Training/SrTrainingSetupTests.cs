using HfDiff.Torch.Training;
using TorchSharp;

namespace HfDiff.Torch.Tests.Training;

[TestClass]
public class SrTrainingSetupTests
{
    /// <summary>
    /// A teacher without model.ckpt_path starts from weights drawn after torch.manual_seed(train.seed), as the official
    /// trainers' setup_seed does before build_model: two builds with one seed agree exactly, another seed differs.
    /// Uses the bundled default model's teacher.yaml (its autoencoder file is in the repository).
    /// </summary>
    [TestMethod]
    public void Build_TeacherFromScratch_InitialWeightsFollowTrainSeed()
    {
        var root = HfDiff.Tests.Common.TestPaths.RepositoryRoot();
        if (root is null) Assert.Inconclusive("repository root not found");
        var yaml = Path.Combine(root, "data", "default-model", "teacher.yaml");

        int calls = 0;
        Dictionary<string, torch.Tensor> Initial(long seed)
        {
            var setup = SrTrainingSetup.Load(yaml, student: false, adjust: t => t with { Seed = seed });
            Assert.IsNull(setup.ModelPath, "teacher.yaml trains its UNet from scratch");
            torch.manual_seed(7919 * ++calls);   // the global generator holds something else before each build
            using var networks = setup.Build("cpu");
            return networks.Model.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.detach().clone());
        }

        var a = Initial(20261202);
        var b = Initial(20261202);
        var c = Initial(7);
        try
        {
            Assert.IsNotEmpty(a);
            foreach (var (name, t) in a)
                Assert.IsTrue(t.allclose(b[name], 0, 0), $"{name} differs between two builds with the same seed");
            Assert.IsTrue(a.Any(kv => kv.Value.is_floating_point() && kv.Value.numel() > 1 && !kv.Value.allclose(c[kv.Key], 0, 0)),
                "another seed gave the same initial weights");
        }
        finally
        {
            foreach (var t in a.Values.Concat(b.Values).Concat(c.Values)) t.Dispose();
        }
    }
}
