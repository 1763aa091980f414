// Port of CDDFuse's DetailNode (one affine-coupling INN node), plus its inverse (not in the reference).
// Source: github.com/Zhaozixiang1228/MMIF-CDDFuse, net.py, commit fd8da1f39d8d403b7343e577bd5a30cba38c7b7b.
// Paper: Zhao et al., "CDDFuse: Correlation-Driven Dual-Branch Feature Decomposition for Multi-Modality Image Fusion", CVPR 2023.
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace HfDiff.Torch.Archs.HfDiff;

/// <summary>
/// One invertible node: a 1×1 "shuffle" convolution mixing both halves, then an additive coupling of the second half
/// and an affine (exp-scale) coupling of the first half:
/// <code>
/// [z1; z2] = split(W·[z1; z2] + b)
/// z2 = z2 + φ(z1)
/// z1 = z1 ⊙ exp(ρ(z2)) + η(z2)      // ρ, η see the UPDATED z2
/// </code>
/// The reference hard-wires 64 channels (32 + 32); <paramref name="channels"/> generalises it (even, split in halves).
/// </summary>
public sealed class DetailNode : nn.Module<Tensor, Tensor, (Tensor Z1, Tensor Z2)>
{
#pragma warning disable IDE1006 // PyTorch attribute names
    readonly InvertedResidualBlock theta_phi;
    readonly InvertedResidualBlock theta_rho;
    readonly InvertedResidualBlock theta_eta;
    readonly Conv2d shffleconv;
#pragma warning restore IDE1006

    /// <summary>Total channels of the node input (both halves).</summary>
    public long Channels { get; }

    public DetailNode(long channels = 64) : base(nameof(DetailNode))
    {
        if (channels < 2 || channels % 2 != 0)
            throw new ArgumentOutOfRangeException(nameof(channels), channels, "channels must be an even number >= 2 (split into two halves).");
        Channels = channels;
        long half = channels / 2;
        // Declaration order follows the reference (theta_phi, theta_rho, theta_eta, shffleconv) so state_dict order matches.
        theta_phi = new InvertedResidualBlock(half, half, 2);
        theta_rho = new InvertedResidualBlock(half, half, 2);
        theta_eta = new InvertedResidualBlock(half, half, 2);
        shffleconv = nn.Conv2d(channels, channels, 1, stride: 1, padding: 0L, bias: true);
        RegisterComponents();
    }

    /// <summary>The shuffle-convolution output <c>W·[z1; z2] + b</c> (the first step of <see cref="forward"/>), for inspection.</summary>
    public Tensor Shuffle(Tensor z1, Tensor z2)
    {
        using var scope = torch.NewDisposeScope();
        return shffleconv.forward(torch.cat([z1, z2], 1)).MoveToOuterDisposeScope();
    }

    public override (Tensor Z1, Tensor Z2) forward(Tensor z1, Tensor z2)
    {
        using var scope = torch.NewDisposeScope();
        var s = shffleconv.forward(torch.cat([z1, z2], 1));
        long half = s.shape[1] / 2;
        var a = s[.., ..(int)half];
        var b = s[.., (int)half..];
        var z2New = b + theta_phi.forward(a);
        // PORT-QUIRK(CDDFuse, net.py): the scale/shift of z1 are computed from the already-updated z2 (copied order).
        var z1New = a * torch.exp(theta_rho.forward(z2New)) + theta_eta.forward(z2New);
        return (z1New.MoveToOuterDisposeScope(), z2New.MoveToOuterDisposeScope());
    }

    /// <summary>
    /// Exact inverse of <see cref="forward"/> (derived; the reference has none):
    /// <c>a = (y1 − η(y2)) ⊙ exp(−ρ(y2))</c>, <c>b = y2 − φ(a)</c>, <c>[z1; z2] = W⁻¹([a; b] − bias)</c> per pixel.
    /// W⁻¹ is computed in float64 and cast to the input dtype. Throws when the shuffle matrix is singular.
    /// </summary>
    public (Tensor Z1, Tensor Z2) Inverse(Tensor y1, Tensor y2)
    {
        using var scope = torch.NewDisposeScope();
        var a = (y1 - theta_eta.forward(y2)) * torch.exp(-theta_rho.forward(y2));
        var b = y2 - theta_phi.forward(a);
        var ab = torch.cat([a, b], 1) - shffleconv.bias!.reshape(1, -1, 1, 1);
        var w = shffleconv.weight!.reshape(Channels, Channels).to_type(ScalarType.Float64);
        Tensor wInv;
        try { wInv = torch.linalg.inv(w); }
        catch (Exception e)
        {
            throw new InvalidOperationException($"{nameof(DetailNode)}.{nameof(Inverse)}: the {Channels}×{Channels} shffleconv matrix is not invertible ({e.Message}).", e);
        }
        var z = nn.functional.conv2d(ab, wInv.to_type(ab.dtype).to(ab.device).reshape(Channels, Channels, 1, 1));
        long half = Channels / 2;
        return (z[.., ..(int)half].MoveToOuterDisposeScope(), z[.., (int)half..].MoveToOuterDisposeScope());
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing) { theta_phi.Dispose(); theta_rho.Dispose(); theta_eta.Dispose(); shffleconv.Dispose(); }
        base.Dispose(disposing);
    }
}
