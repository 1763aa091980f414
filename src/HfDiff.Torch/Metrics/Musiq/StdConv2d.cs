// Port of StdConv from chaofengc/IQA-PyTorch pyiqa/archs/musiq_arch.py at 01ae427f9afd66842031d3a7cb694dcad5b5cbb8
// (weight standardisation: Qiao et al., "Micro-Batch Training with Batch-Channel Normalization and Weight Standardization").
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace HfDiff.Torch.Metrics.Musiq;

/// <summary>
/// Bias-free conv whose weight is standardised per output channel at every call, with TensorFlow 'SAME' zero padding
/// (the MUSIQ ResNet stem was trained in TF/Flax).
/// </summary>
public sealed class StdConv2d : nn.Module<Tensor, Tensor>
{
#pragma warning disable IDE1006 // PyTorch attribute name
    readonly Parameter weight;
#pragma warning restore IDE1006
    readonly int _kernel, _stride;

    public StdConv2d(int inChannels, int outChannels, int kernel, int stride = 1) : base("StdConv")
    {
        _kernel = kernel;
        _stride = stride;
        weight = new Parameter(torch.empty(outChannels, inChannels, kernel, kernel));
        nn.init.kaiming_uniform_(weight, Math.Sqrt(5));
        RegisterComponents();
    }

    public override Tensor forward(Tensor input)
    {
        using var scope = torch.NewDisposeScope();
        // PORT-QUIRK(pyiqa, musiq_arch.py StdConv): unbiased std and eps 1e-5 added to the std (not the variance).
        var w = weight - weight.mean([1, 2, 3], keepdim: true);
        w = w / (w.std([1, 2, 3], unbiased: true, keepdim: true) + 1e-5);
        var (padRow, padCol) = TfSamePadding(input, _kernel, _stride);
        // Symmetric SAME padding (e.g. block1's 3x3, stride 1) is the conv's own zero padding: no padded copy of the input.
        if (padRow >= 0 && padCol >= 0 && padRow % 2 == 0 && padCol % 2 == 0)
            return F.conv2d(input, w, null, strides: [_stride, _stride], padding: [padRow / 2, padCol / 2]).MoveToOuterDisposeScope();
        var x = TfSamePad(input, _kernel, _stride);
        return F.conv2d(x, w, null, strides: [_stride, _stride]).MoveToOuterDisposeScope();
    }

    /// <summary>pyiqa <c>excact_padding_2d(x, kernel, stride, mode='same')</c>: TF 'SAME' zero padding, the smaller half first.</summary>
    public static Tensor TfSamePad(Tensor x, int kernel, int stride)
    {
        var (padRow, padCol) = TfSamePadding(x, kernel, stride);
        if (padRow == 0 && padCol == 0) return x.alias();
        return F.pad(x, [padCol / 2, padCol - padCol / 2, padRow / 2, padRow - padRow / 2]);
    }

    /// <summary>Total TF 'SAME' padding (rows, columns) of a (N,C,H,W) input.</summary>
    static (long Rows, long Cols) TfSamePadding(Tensor x, int kernel, int stride)
    {
        long h = x.shape[2], w = x.shape[3];
        return (((h + stride - 1) / stride - 1) * stride + kernel - h, ((w + stride - 1) / stride - 1) * stride + kernel - w);
    }
}
