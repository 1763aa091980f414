using HfDiff.Torch.Imaging;
using static TorchSharp.torch;

namespace HfDiff.Torch.Evaluation;

/// <summary>The papers' "Bicubic" row: Pillow's bicubic upscaling of the 8-bit LR image (<see cref="PilBicubic"/>).</summary>
public sealed class BicubicEvalModel(string name = "bicubic") : IEvalModel
{
    public string Name { get; } = name;
    public string Description => "bicubic ×s of the 8-bit LR image, bit-exact with Pillow's Image.resize(BICUBIC)";
    public long? ParameterCount => 0;
    public bool Computes => true;

    public Tensor SuperResolve(EvalImage image, int scale)
    {
        using var lr = ImageIO.ReadTensor(image.LrPath);
        return SuperResolve(lr, scale);
    }

    public Tensor SuperResolve(Tensor lr01, int scale)
    {
        var (rgb, w, h) = ImageIO.ToRgb24(lr01);
        var up = PilBicubic.Resize(rgb, w, h, w * scale, h * scale);
        using var hwc = tensor(up, [h * scale, w * scale, 3]);
        return hwc.permute(2, 0, 1).unsqueeze(0).to_type(ScalarType.Float32).div_(255f).contiguous();
    }

    public void Dispose() { }
}
