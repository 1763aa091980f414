using static TorchSharp.torch;

namespace HfDiff.Torch.Samplers;

/// <summary>
/// One forward pass of a ResShift / SinSR denoising network (e.g. <c>UNetModelSwin</c>), as the samplers call it.
/// </summary>
/// <param name="scaledInput">(B, C, h, w) float32: the chain state already divided by the schedule's input divisor.</param>
/// <param name="timesteps">(B,) int64: the timesteps the network is conditioned on (already mapped through
/// <see cref="Schedules.ResShiftSchedule.TimestepMap"/>).</param>
/// <param name="lq">(B, 3, h/?, w/?) float32 in [−1, 1]: the (padded) low-quality image (<c>model_kwargs['lq']</c>).</param>
/// <returns>(B, C, h, w) float32 network output (x̂_0 for the official <c>predict_type: xstart</c>). The caller owns it;
/// it must not be one of the arguments (return <c>alias()</c> if needed).</returns>
public delegate Tensor LatentDenoiser(Tensor scaledInput, Tensor timesteps, Tensor lq);
