using static TorchSharp.torch;

namespace HfDiff.Torch.Losses.Distillation;

/// <summary>What a student forward in the SinSR distillation loss is for (in the reference's call order).</summary>
public enum SinSrStudentCallRole
{
    /// <summary>S(z_T / d[T−1], T−1): the one-step prediction of z_0 (distilled towards the teacher's DDIM result).</summary>
    PredictFromPrior,
    /// <summary>S(z_0^teacher / d[T−1], 0): the inverse map predicting z_T from the teacher's z_0 (learn x_T).</summary>
    InverseOfTeacher,
    /// <summary>S(z_0^gt / d[T−1], 0) under no_grad: the z_T the student assigns to the GT latent.</summary>
    InverseOfGt,
    /// <summary>S(x̂_T^gt / d[T−1], T−1): the prediction back from that z_T (consistency-preserving term).</summary>
    PredictFromGtInverse,
}

/// <summary>
/// One student forward: the scaled input, the int64 timesteps it was conditioned on and its output.
/// <see cref="Output"/> carries the autograd graph to the student when <see cref="WithGrad"/>.
/// </summary>
/// <param name="Role">What the call computes.</param>
/// <param name="Input">(B, C, h, w) float32 network input (already divided by the input divisor).</param>
/// <param name="Timesteps">(B,) int64 timesteps passed to the network.</param>
/// <param name="Output">(B, C, h, w) float32 network output.</param>
/// <param name="WithGrad">False for the call the reference runs under no_grad.</param>
public sealed record SinSrStudentCall(SinSrStudentCallRole Role, Tensor Input, Tensor Timesteps, Tensor Output, bool WithGrad);
