using HfDiff.Torch.Imaging;
using HfDiff.Torch.Pipelines;
using static TorchSharp.torch;

namespace HfDiff.Torch.Evaluation;

/// <summary>A diffusion SR model (<see cref="SuperResolver"/>: official or own checkpoints) in an evaluation.</summary>
public sealed class SuperResolverEvalModel(string name, SuperResolver resolver, string description) : IEvalModel
{
    public string Name { get; } = name;
    public SuperResolver Resolver { get; } = resolver ?? throw new ArgumentNullException(nameof(resolver));
    public string Description { get; } = description;
    public long? ParameterCount => Resolver.ParameterCount;
    public bool Computes => true;

    public Tensor SuperResolve(EvalImage image, int scale)
    {
        using var lr = ImageIO.ReadTensor(image.LrPath);
        return SuperResolve(lr, scale);
    }

    public Tensor SuperResolve(Tensor lr01, int scale)
    {
        int sf = Resolver.Schedule.Options.Sf;
        if (scale != sf) throw new ArgumentException($"Model '{Name}' super-resolves ×{sf}; the evaluation asks for ×{scale}.");
        return Resolver.SuperResolve(lr01);
    }

    public void Dispose() => Resolver.Dispose();
}
