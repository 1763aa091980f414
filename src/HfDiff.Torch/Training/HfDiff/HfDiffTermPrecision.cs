namespace HfDiff.Torch.Training.HfDiff;

/// <summary>
/// [<c>hfdiff.term_precision</c>] Arithmetic of the frozen networks behind the image-domain extra terms: the gradient-enabled
/// VQ decode (forward and the gradient carried back through it) and DINOv2. The student, the teacher chain, the encoder and
/// every loss's own arithmetic stay float32.
/// </summary>
public enum HfDiffTermPrecision
{
    /// <summary>float32 (default; what the parity tests check).</summary>
    Fp32,
    /// <summary>bfloat16 weights and activations in a copy of the VQ (its codebook search stays float32) and in DINOv2;
    /// their inputs are cast to bf16 and their outputs back to float32. Faster on CPUs with AVX512_BF16 or AMX; the image
    /// terms and their gradient then carry bf16 rounding (about 3 significant digits).</summary>
    Bf16,
}
