// Port of NLayerDiscriminator and weights_init from CompVis/taming-transformers taming/modules/discriminator/model.py
// (commit d8464046ffba4a03273df8fe93788ccf6a915993), the pix2pix PatchGAN (Isola et al., CVPR 2017) used by VQGAN
// (Esser et al., "Taming Transformers for High-Resolution Image Synthesis", CVPR 2021).
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace HfDiff.Torch.Archs.Taming;

/// <summary>Settings of <see cref="NLayerDiscriminator"/> (taming's <c>disc_in_channels</c>, <c>disc_ndf</c>, <c>disc_num_layers</c>).</summary>
public sealed record NLayerDiscriminatorOptions
{
    public int InputChannels { get; init; } = 3;
    /// <summary>ndf: filters of the first conv (later ones ×2 per layer, at most ×8).</summary>
    public int Ndf { get; init; } = 64;
    /// <summary>n_layers: stride-2 convs (the first one included); then one stride-1 conv and the 1-channel output conv.</summary>
    public int NumLayers { get; init; } = 3;

    public void Validate()
    {
        if (InputChannels < 1) throw new ArgumentOutOfRangeException(nameof(InputChannels), InputChannels, $"InputChannels must be >= 1; got {InputChannels}.");
        if (Ndf < 1) throw new ArgumentOutOfRangeException(nameof(Ndf), Ndf, $"Ndf must be >= 1; got {Ndf}.");
        if (NumLayers < 1) throw new ArgumentOutOfRangeException(nameof(NumLayers), NumLayers, $"NumLayers must be >= 1; got {NumLayers}.");
    }
}

/// <summary>
/// PatchGAN discriminator: (B, C, H, W) image in [−1, 1] → (B, 1, h, w) real/fake logits per patch. Layout of taming's
/// <c>main</c> Sequential (keys <c>main.{i}.*</c>): conv 4×4/2 + LeakyReLU(0.2); n_layers−1 × (conv 4×4/2 without bias,
/// BatchNorm2d, LeakyReLU); conv 4×4/1 without bias, BatchNorm2d, LeakyReLU; conv 4×4/1 to one channel. ActNorm
/// (<c>use_actnorm</c>) is not ported.
/// </summary>
public sealed class NLayerDiscriminator : nn.Module<Tensor, Tensor>
{
    readonly Sequential main;

    public NLayerDiscriminatorOptions Options { get; }

    /// <param name="options">Sizes.</param>
    /// <param name="generator">Random stream of the initialization (taming's <c>weights_init</c>); null = the global one.</param>
    public NLayerDiscriminator(NLayerDiscriminatorOptions? options = null, Generator? generator = null) : base(nameof(NLayerDiscriminator))
    {
        Options = options ?? new NLayerDiscriminatorOptions();
        Options.Validate();
        int ndf = Options.Ndf;
        var layers = new List<(string, nn.Module<Tensor, Tensor>)>();
        void Add(nn.Module<Tensor, Tensor> m) => layers.Add((layers.Count.ToString(System.Globalization.CultureInfo.InvariantCulture), m));

        Add(nn.Conv2d(Options.InputChannels, ndf, 4, stride: 2, padding: 1));
        Add(nn.LeakyReLU(0.2));
        int mult = 1, prev;
        for (int n = 1; n < Options.NumLayers; n++)
        {
            prev = mult;
            mult = Math.Min(1 << n, 8);
            Add(nn.Conv2d(ndf * prev, ndf * mult, 4, stride: 2, padding: 1, bias: false));   // use_bias = False with BatchNorm2d
            Add(nn.BatchNorm2d(ndf * mult));
            Add(nn.LeakyReLU(0.2));
        }
        prev = mult;
        mult = Math.Min(1 << Options.NumLayers, 8);
        Add(nn.Conv2d(ndf * prev, ndf * mult, 4, stride: 1, padding: 1, bias: false));
        Add(nn.BatchNorm2d(ndf * mult));
        Add(nn.LeakyReLU(0.2));
        Add(nn.Conv2d(ndf * mult, 1, 4, stride: 1, padding: 1));
        main = nn.Sequential(layers);
        RegisterComponents();
        Initialize(generator);
    }

    /// <summary>
    /// taming's <c>weights_init</c>: conv weights N(0, 0.02), BatchNorm weights N(1, 0.02) and biases 0. Conv biases keep
    /// PyTorch's default U(−1/√fan_in, 1/√fan_in), drawn here from <paramref name="generator"/> too.
    /// </summary>
    void Initialize(Generator? generator)
    {
        using var _ = no_grad();
        foreach (var m in main.children())
        {
            switch (m)
            {
                case Conv2d conv:
                    conv.weight!.normal_(0.0, 0.02, generator);
                    if (conv.bias is { } b)
                    {
                        long fanIn = conv.weight.shape[1] * conv.weight.shape[2] * conv.weight.shape[3];
                        double bound = 1.0 / Math.Sqrt(fanIn);
                        b.uniform_(-bound, bound, generator);
                    }
                    break;
                case BatchNorm2d bn:
                    bn.weight!.normal_(1.0, 0.02, generator);
                    bn.bias!.zero_();
                    break;
            }
        }
    }

    public override Tensor forward(Tensor input)
    {
        // main's layers one by one, so that the 1-channel output conv runs through PaddedOutputConv (its input gradient
        // feeds the generator's adversarial loss).
        using var scope = NewDisposeScope();
        var h = input;
        foreach (var m in main.children())
            h = PaddedOutputConv.CallLayer((nn.Module<Tensor, Tensor>)m, h);
        return h.MoveToOuterDisposeScope();
    }
}
