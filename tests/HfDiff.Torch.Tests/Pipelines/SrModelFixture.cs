using System.Text.Json;
using HfDiff.Torch.Archs.ResShift;
using HfDiff.Torch.Schedules;
using HfDiff.Torch.Tests.Samplers;
using HfDiff.Torch.Weights;
using static TorchSharp.torch;

namespace HfDiff.Torch.Tests.Pipelines;

/// <summary>
/// The shared ResShift/SinSR fixture with its REAL reduced networks loaded: model A (ResShift code base, the ResShift
/// denoiser and SinSR teacher), model B (SinSR code base, the one-step student) and the VQGAN. Every constructor
/// argument, file name and sampler setting comes from config.json.
/// </summary>
sealed class SrModelFixture : IDisposable
{
    public SrModelFixture()
    {
        Data = new ResShiftFixture();
        var cfg = Data.Config;
        var a = cfg.GetProperty("resshift_unet_A");
        var b = cfg.GetProperty("sinsr_unet_B");
        var ae = cfg.GetProperty("autoencoder");
        UnetAOptions = UNetModelSwinOptions.FromJson(a.GetProperty("resshift_kwargs"), UNetCodeBase.ResShift);
        UnetBOptions = UNetModelSwinOptions.FromJson(b.GetProperty("sinsr_kwargs"), UNetCodeBase.SinSR);
        VqOptions = VQModelOptions.FromJson(ae.GetProperty("kwargs"));
        UnetAPath = File(a.GetProperty("file").GetString()!);
        UnetBPath = File(b.GetProperty("file").GetString()!);
        VqPath = File(ae.GetProperty("file").GetString()!);
        UnetA = Load(new UNetModelSwin(UnetAOptions), UnetAPath);
        UnetB = Load(new UNetModelSwin(UnetBOptions), UnetBPath);
        Vq = Load(new VQModelTorch(VqOptions), VqPath);
        ResShiftPadding = cfg.GetProperty("resshift_sampler").GetProperty("padding_offset").GetInt32();
        SinSrPadding = cfg.GetProperty("sinsr_sampler").GetProperty("desired_min_size").GetInt32();
    }

    public ResShiftFixture Data { get; }
    public JsonElement Config => Data.Config;
    public ResShiftScheduleOptions ScheduleOptions => Data.ScheduleOptions;
    public UNetModelSwinOptions UnetAOptions { get; }
    public UNetModelSwinOptions UnetBOptions { get; }
    public VQModelOptions VqOptions { get; }
    public string UnetAPath { get; }
    public string UnetBPath { get; }
    public string VqPath { get; }
    public UNetModelSwin UnetA { get; }
    public UNetModelSwin UnetB { get; }
    public VQModelTorch Vq { get; }
    /// <summary>ResShift sampler <c>padding_offset</c> (= lq_size).</summary>
    public int ResShiftPadding { get; }
    /// <summary>SinSR sampler <c>desired_min_size</c>.</summary>
    public int SinSrPadding { get; }

    public Tensor this[string name] => Data[name];

    /// <summary>Row k of a stacked per-step tensor as a batch of one.</summary>
    public Tensor Row(string name, long k) => Data[name][k].unsqueeze(0);

    string File(string name) => Path.Combine(Data.Dir, name);

    static T Load<T>(T module, string path) where T : nn.Module
    {
        Checkpoint.LoadInto(module, path, strict: true);
        module.eval();
        return module;
    }

    public void Dispose()
    {
        UnetA.Dispose();
        UnetB.Dispose();
        Vq.Dispose();
        Data.Dispose();
    }
}
