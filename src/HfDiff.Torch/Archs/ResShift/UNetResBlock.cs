// Port of ResBlock from zsyOAOA/ResShift models/unet.py (commit 3ce1d81e8402fd50083809ae288a3977f6921bdd;
// from openai/guided-diffusion). ResShift: Yue et al., NeurIPS 2023.
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace HfDiff.Torch.Archs.ResShift;

/// <summary>
/// Residual block with timestep conditioning: <c>in_layers</c> (GroupNorm32, SiLU, conv3×3), <c>emb_layers</c> (SiLU,
/// Linear), <c>out_layers</c> (GroupNorm32, SiLU, Dropout, conv3×3) and a skip (Identity, 1×1 or 3×3 conv).
/// With scale-shift norm: h = conv(SiLU(norm(h)·(1+scale)+shift)); otherwise h = out_layers(h + emb).
/// </summary>
public sealed class UNetResBlock : TimestepBlock
{
    readonly GroupNorm32 _inNorm;
    readonly Conv2d _inConv;
    readonly Linear _embLinear;
    readonly GroupNorm32 _outNorm;
    readonly Conv2d _outConv;
    readonly Conv2d? _skip;
    readonly nn.Module<Tensor, Tensor>? _hUpd, _xUpd;
    readonly double _dropout;
    readonly bool _useScaleShiftNorm;

    public long Channels { get; }
    public long OutChannels { get; }

    public UNetResBlock(long channels, long embChannels, double dropout, long? outChannels = null, bool useConv = false,
                        bool useScaleShiftNorm = false, bool up = false, bool down = false) : base("ResBlock")
    {
        Channels = channels;
        OutChannels = outChannels ?? channels;
        _dropout = dropout;
        _useScaleShiftNorm = useScaleShiftNorm;

        _inNorm = new GroupNorm32(channels);
        _inConv = nn.Conv2d(channels, OutChannels, 3, padding: 1);
        if (up) { _hUpd = new UNetUpsample(channels, false); _xUpd = new UNetUpsample(channels, false); }
        else if (down) { _hUpd = new UNetDownsample(channels, false); _xUpd = new UNetDownsample(channels, false); }
        _embLinear = nn.Linear(embChannels, useScaleShiftNorm ? 2 * OutChannels : OutChannels);
        _outNorm = new GroupNorm32(OutChannels);
        _outConv = nn.Conv2d(OutChannels, OutChannels, 3, padding: 1);
        if (OutChannels != channels)
            _skip = useConv ? nn.Conv2d(channels, OutChannels, 3, padding: 1) : nn.Conv2d(channels, OutChannels, 1);

        register_module("in_layers", new ModuleSlots("in_layers", ("0", _inNorm), ("2", _inConv)));
        register_module("emb_layers", new ModuleSlots("emb_layers", ("1", _embLinear)));
        register_module("out_layers", new ModuleSlots("out_layers", ("0", _outNorm), ("3", _outConv)));
        if (_skip is not null) register_module("skip_connection", _skip);
        // h_upd / x_upd have no weights (Upsample/Downsample without conv); registering keeps train()/eval() uniform.
        if (_hUpd is not null) { register_module("h_upd", _hUpd); register_module("x_upd", _xUpd!); }
    }

    /// <summary>Children are registered explicitly under their PyTorch names; no reflection over fields.</summary>
    protected override void RegisterComponents() { }

    public override Tensor forward(Tensor x, Tensor emb)
    {
        using var scope = NewDisposeScope();
        Tensor h;
        if (_hUpd is not null)
        {
            h = nn.functional.silu(_inNorm.call(x));
            h = _hUpd.call(h);
            x = _xUpd!.call(x);
            h = PaddedOutputConv.Call(_inConv, h);
        }
        else h = PaddedOutputConv.Call(_inConv, nn.functional.silu(_inNorm.call(x)));

        var embOut = _embLinear.call(nn.functional.silu(emb)).to_type(h.dtype);
        while (embOut.dim() < h.dim()) embOut = embOut.unsqueeze(-1);
        if (_useScaleShiftNorm)
        {
            var ss = embOut.chunk(2, 1);
            h = _outNorm.call(h) * (1 + ss[0]) + ss[1];
        }
        else h = _outNorm.call(h + embOut);
        h = nn.functional.silu(h);
        if (_dropout > 0) h = nn.functional.dropout(h, _dropout, training);
        h = PaddedOutputConv.Call(_outConv, h);
        var skip = _skip is null ? x : PaddedOutputConv.Call(_skip, x);
        return (skip + h).MoveToOuterDisposeScope();
    }
}
