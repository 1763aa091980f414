namespace HfDiff.Torch.Archs.Dinov2;

/// <summary>Feed-forward layer of a DINOv2 block (reference <c>ffn_layer</c>).</summary>
public enum Dinov2FfnLayer
{
    /// <summary><c>"mlp"</c>: fc1 → GELU (exact) → fc2; keys <c>mlp.fc1</c>, <c>mlp.fc2</c> (ViT-S/B/L).</summary>
    Mlp,
    /// <summary><c>"swiglu"</c>/<c>"swiglufused"</c>: w12 → SiLU(x1)·x2 → w3, hidden rounded as SwiGLUFFNFused (ViT-g).</summary>
    SwiGlu,
    /// <summary><c>"identity"</c>: no feed-forward.</summary>
    Identity,
}
