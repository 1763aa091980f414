using HfDiff.Torch.Schedules;
using static TorchSharp.torch;

namespace HfDiff.Torch.Samplers;

/// <summary>A latent-space SR sampler: z_y (encoded upsampled LR) → ẑ_0, the latent to decode.</summary>
public interface ILatentSrSampler
{
    ResShiftSchedule Schedule { get; }

    /// <summary>
    /// Runs the whole chain under no_grad.
    /// </summary>
    /// <param name="zY">(B, C, h, w) float32 latent of the bicubic-upsampled LR image (the paper's y in latent space).</param>
    /// <param name="lq">(B, 3, h', w') float32 [−1, 1] padded LR image given to the denoiser as <c>lq</c>.</param>
    /// <param name="denoiser">The network.</param>
    /// <param name="noise">Source of the reference's <c>randn_like</c> draws.</param>
    /// <returns>(B, C, h, w) float32 final latent, owned by the caller.</returns>
    Tensor Sample(Tensor zY, Tensor lq, LatentDenoiser denoiser, INoiseSource noise);

    /// <summary>
    /// How many <see cref="INoiseSource.RandnLike"/> calls one <see cref="Sample"/> makes, each shaped like one sample's latent;
    /// null when unknown or when batch elements share noise. Batched tiles need it to hand every tile the draws it would get
    /// when run alone (<see cref="TileBatchNoiseSource"/>).
    /// </summary>
    int? NoiseDrawsPerSample => null;
}
