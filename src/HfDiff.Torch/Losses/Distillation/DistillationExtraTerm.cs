using static TorchSharp.torch;

namespace HfDiff.Torch.Losses.Distillation;

/// <summary>
/// An additional scalar loss term added to the SinSR distillation total, e.g. HF-Diff's high-frequency perceptual loss
/// on <see cref="SinSrDistillationResult.PredZStart"/> vs <see cref="SinSrDistillationResult.ZStartGt"/>, or its
/// distribution-matching loss on decoded images.
/// </summary>
/// <param name="Name">Key of the term in <see cref="SinSrDistillationResult.ExtraTerms"/>.</param>
/// <param name="Weight">Factor applied before adding the term to the total.</param>
/// <param name="Compute">Returns a scalar (one-element) tensor from the result computed so far (all reference terms are
/// available; <see cref="SinSrDistillationResult.Total"/> is still the reference loss). The loss takes ownership.</param>
public sealed record DistillationExtraTerm(string Name, double Weight, Func<SinSrDistillationResult, Tensor> Compute);
