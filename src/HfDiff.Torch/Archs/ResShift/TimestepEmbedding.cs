// Port of timestep_embedding() from zsyOAOA/ResShift models/basic_ops.py
// (commit 3ce1d81e8402fd50083809ae288a3977f6921bdd). ResShift: Yue et al., NeurIPS 2023.
using static TorchSharp.torch;

namespace HfDiff.Torch.Archs.ResShift;

/// <summary>Sinusoidal timestep embedding of the guided-diffusion UNet.</summary>
public static class TimestepEmbedding
{
    /// <summary>
    /// (N) timesteps (any numeric dtype) → (N, dim) float32 embedding <c>[cos(t·f), sin(t·f)]</c> with
    /// f_i = exp(−ln(max_period)·i/half). Note the cos-first order (LDM's <c>get_timestep_embedding</c> is sin-first).
    /// </summary>
    public static Tensor Sinusoidal(Tensor timesteps, int dim, double maxPeriod = 10000)
    {
        if (timesteps.dim() != 1)
            throw new ArgumentException($"timesteps must be a 1-D tensor (N); got shape [{string.Join(",", timesteps.shape)}].", nameof(timesteps));
        using var scope = NewDisposeScope();
        int half = dim / 2;
        // Same op order as the reference: (-ln(P) * arange) / half, then exp, all float32.
        var freqs = exp(arange(0, half, dtype: ScalarType.Float32) * (-Math.Log(maxPeriod)) / half).to(timesteps.device);
        var args = timesteps.unsqueeze(1).to_type(ScalarType.Float32) * freqs.unsqueeze(0);
        var emb = cat([cos(args), sin(args)], -1);
        if (dim % 2 == 1) emb = cat([emb, zeros_like(emb[.., ..1])], -1);
        return emb.MoveToOuterDisposeScope();
    }
}
