using HfDiff.Torch.Archs.Vgg;
namespace HfDiff.Torch.Losses.Perceptual;

/// <summary>
/// Settings of <see cref="VggPerceptualLoss"/>, named after BasicSR's <c>PerceptualLoss</c>. The HF-Diff paper's VGG
/// ablation gives no layer set; the default is the classic VGG16 choice relu1_2, relu2_2, relu3_3, relu4_3 with weight 1 each.
/// </summary>
public sealed record VggPerceptualLossOptions
{
    /// <summary>Layer (BasicSR name, see <see cref="Vgg16Features.LayerNames"/>) → weight.</summary>
    public IReadOnlyDictionary<string, double> LayerWeights { get; init; } =
        new Dictionary<string, double> { ["relu1_2"] = 1.0, ["relu2_2"] = 1.0, ["relu3_3"] = 1.0, ["relu4_3"] = 1.0 };
    /// <summary>Normalise inputs with the ImageNet mean/std (inputs in [0,1]), as torchvision's weights expect.</summary>
    public bool UseInputNorm { get; init; } = true;
    /// <summary>Inputs are in [-1,1]: map them to [0,1] first (<c>(x + 1) / 2</c>).</summary>
    public bool RangeNorm { get; init; }
    public PerceptualCriterion Criterion { get; init; } = PerceptualCriterion.L1;
    /// <summary>Overall factor (BasicSR <c>perceptual_weight</c>).</summary>
    public double PerceptualWeight { get; init; } = 1.0;

    public void Validate()
    {
        if (LayerWeights is null || LayerWeights.Count == 0)
            throw new ArgumentException("LayerWeights must name at least one VGG16 layer (e.g. relu3_3).", nameof(LayerWeights));
        foreach (var (name, weight) in LayerWeights)
        {
            if (!Vgg16Features.LayerNames.Contains(name))
                throw new ArgumentException($"LayerWeights: unknown VGG16 layer '{name}'; valid names: {string.Join(", ", Vgg16Features.LayerNames)}.", nameof(LayerWeights));
            if (!(weight >= 0 && double.IsFinite(weight)))
                throw new ArgumentOutOfRangeException(nameof(LayerWeights), weight, $"LayerWeights['{name}'] must be >= 0; got {weight}.");
        }
        if (!Enum.IsDefined(Criterion)) throw new ArgumentOutOfRangeException(nameof(Criterion), Criterion, "Unknown criterion.");
        if (!(PerceptualWeight >= 0 && double.IsFinite(PerceptualWeight)))
            throw new ArgumentOutOfRangeException(nameof(PerceptualWeight), PerceptualWeight, $"PerceptualWeight must be >= 0; got {PerceptualWeight}.");
    }
}
