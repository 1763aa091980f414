namespace HfDiff.Torch.Samplers;

/// <summary>
/// What to do when a side of the LR image is too small for the reference's reflect padding (reflect needs pad &lt; side,
/// e.g. a 20-px side padded to 64 needs 44 px). The reference crashes there (README quirk 7); when pad &lt; side every
/// mode gives the reference result.
/// </summary>
public enum SmallSidePadding
{
    /// <summary>Reflect repeatedly (each pass pads at most side−1 px, so the mirror image keeps growing); a 1-px side is replicated.</summary>
    IteratedReflect,
    /// <summary>Replicate the last row/column for the whole padding.</summary>
    Replicate,
    /// <summary>Throw an <see cref="ArgumentException"/> as the reference would (with a clear message).</summary>
    Throw,
}
