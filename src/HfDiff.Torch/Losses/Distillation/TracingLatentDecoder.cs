using static TorchSharp.torch;

namespace HfDiff.Torch.Losses.Distillation;

/// <summary>
/// A <see cref="LatentDecoder"/> that returns an <see cref="ILatentDecodeTrace"/>: the decoded image now and the input
/// gradient later, stage by stage to bound memory, on the same latent scale
/// (e.g. <c>Training.HfDiff.ImageTermDecoder.DecodeTraced</c>). The caller disposes the trace.
/// </summary>
public delegate ILatentDecodeTrace TracingLatentDecoder(Tensor latent);
