using HfDiff.MLNet;
using HfDiff.MLNet.SuperResolution;
using HfDiff.Torch.Pipelines;
using Microsoft.ML;

namespace HfDiff.MLNet.Tests.SuperResolution;

/// <summary>
/// The SR transform's device: an explicit one (an explicit "cpu" too) wins over MLContext.GpuDeviceId; unset (null) leaves
/// the choice to GpuDeviceId / FallbackToCpu, CPU when neither is set. Nothing is loaded: the device is resolved when the
/// estimator is created.
/// </summary>
[TestClass]
public class SuperResolveDeviceTests
{
    static bool Cuda => TorchSharp.torch.cuda.is_available();

    static MLContext GpuContext(bool fallback) => new() { GpuDeviceId = 0, FallbackToCpu = fallback };

    [TestMethod]
    public void ExplicitCpu_WinsOverGpuDeviceId()
    {
        var ml = GpuContext(fallback: false);
        Assert.AreEqual("cpu", ml.Transforms.SuperResolve("Sr", "Lr", device: "cpu").Device);
        Assert.AreEqual("cpu", ml.Transforms.SuperResolve(new SuperResolveOptions { InputColumnName = "Lr", OutputColumnName = "Sr", Device = "cpu" }).Device);
        // It also wins over a device named in the resolver options.
        Assert.AreEqual("cpu", ml.Transforms.SuperResolve("Sr", "Lr", new SuperResolverOptions { Device = "cuda:1" }, device: "cpu").Device);
    }

    [TestMethod]
    public void Unset_FollowsGpuDeviceIdAndFallbackToCpu()
    {
        Assert.AreEqual("cpu", new MLContext().Transforms.SuperResolve("Sr", "Lr").Device, "nothing set: CPU");
        var fallback = GpuContext(fallback: true).Transforms.SuperResolve("Sr", "Lr").Device;
        Assert.AreEqual(Cuda ? "cuda:0" : "cpu", fallback);
        if (Cuda)
        {
            Assert.AreEqual("cuda:0", GpuContext(fallback: false).Transforms.SuperResolve("Sr", "Lr").Device);
            return;
        }
        var e = Assert.ThrowsExactly<InvalidOperationException>(() => GpuContext(fallback: false).Transforms.SuperResolve("Sr", "Lr"));
        StringAssert.Contains(e.Message, "GpuDeviceId is 0");
    }

    [TestMethod]
    public void ResolverDevice_CountsWhenSet_AnExplicitCpuToo()
    {
        // SuperResolverOptions.Device is null by default, so an explicit "cpu" there is told from unset and wins over GpuDeviceId.
        Assert.IsNull(new SuperResolverOptions().Device);
        Assert.AreEqual("cpu", GpuContext(fallback: false).Transforms.SuperResolve("Sr", "Lr", new SuperResolverOptions { Device = "cpu" }).Device);
        if (Cuda)
        {
            Assert.AreEqual("cuda:0", new MLContext().Transforms.SuperResolve("Sr", "Lr", new SuperResolverOptions { Device = "cuda:0" }).Device);
            return;
        }
        var e = Assert.ThrowsExactly<ArgumentException>(() => new MLContext().Transforms.SuperResolve("Sr", "Lr", new SuperResolverOptions { Device = "cuda:0" }));
        StringAssert.Contains(e.Message, "CUDA is not available");
    }

    [TestMethod]
    public void UnknownDevice_RefusedWhenTheEstimatorIsCreated()
    {
        var e = Assert.ThrowsExactly<ArgumentException>(() => new MLContext().Transforms.SuperResolve("Sr", "Lr", device: "tpu"));
        StringAssert.Contains(e.Message, "tpu");
    }

    [TestMethod]
    public void Trainer_ExplicitDeviceCarriesToTheReturnedTransform()
    {
        Assert.AreEqual("cpu", SuperResolutionTrainer.TransformDevice(new HfDiffTrainerOptions { Device = "cpu" }, "cpu"), "explicit cpu holds for the transform");
        Assert.IsNull(SuperResolutionTrainer.TransformDevice(new HfDiffTrainerOptions(), "cpu"), "unset: MLContext decides, as for training");
        Assert.IsNull(SuperResolutionTrainer.TransformDevice(new HfDiffTrainerOptions { Device = "cpu", Resolver = new SuperResolverOptions { Device = "cuda:1" } }, "cpu"),
            "a device in Resolver applies to the transform");
    }
}
