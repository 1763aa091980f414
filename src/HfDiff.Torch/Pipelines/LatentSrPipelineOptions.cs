using HfDiff.Torch.Samplers;

namespace HfDiff.Torch.Pipelines;

/// <summary>
/// Options of <see cref="LatentSrPipeline"/> (the reference's <c>sample_func</c> / <c>inference</c> settings). Defaults are the
/// official ×4 inference settings of ResShift (<c>lq_size</c> 64, <c>--chop_size 512</c> → stride 448) and SinSR
/// (<c>desired_min_size</c> 64, same chopping). The scale factor comes from the sampler's schedule (<c>diffusion.params.sf</c>).
/// </summary>
public sealed record LatentSrPipelineOptions
{
    /// <summary>The LR image is reflect-padded right/bottom to a multiple of this (ResShift: model <c>lq_size</c>; SinSR: 64).</summary>
    public int PaddingMultiple { get; init; } = 64;

    /// <summary>Fallback when reflect padding is impossible (side too small); see <see cref="Samplers.SmallSidePadding"/>.</summary>
    public SmallSidePadding SmallSidePadding { get; init; } = SmallSidePadding.IteratedReflect;

    /// <summary>LR tile side (<c>chop_size</c>); images with a side larger than this are processed in overlapping tiles, each
    /// through the whole encode → sample → decode chain, which bounds memory by the tile size.</summary>
    public int TileSize { get; init; } = 512;

    /// <summary>LR distance between tile starts (<c>chop_stride</c>); must be in [1, <see cref="TileSize"/>].</summary>
    public int TileStride { get; init; } = 448;

    public TileBlending TileBlending { get; init; } = TileBlending.Gaussian;

    /// <summary>Tiles of one image super-resolved together (memory grows with it). Outputs equal those of one tile at a time
    /// (each tile gets its own draws of the noise stream); samplers that cannot say how many draws a tile takes run tiles singly.</summary>
    public int TileBatchSize { get; init; } = 1;
}
