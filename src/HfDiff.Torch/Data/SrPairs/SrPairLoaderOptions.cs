using HfDiff.Torch.Degradations;

namespace HfDiff.Torch.Data.SrPairs;

/// <summary>
/// Settings of <see cref="SrPairLoader"/>. Defaults are Real-ESRGAN's x4plus training (<c>gt_size</c> 256, scale 4,
/// hard-coded <c>crop_pad_size</c> 400, <c>use_hflip</c> true, <c>use_rot</c> false, shuffled, last partial batch
/// dropped as BasicSR's training loader does) except <see cref="BatchSize"/>, which the caller usually sets.
/// </summary>
public sealed record SrPairLoaderOptions
{
    /// <summary>GT patch size of a batch (<c>gt_size</c>); the LQ patch is <c>GtSize / Scale</c>. Must be a multiple of <see cref="Scale"/>.</summary>
    public int GtSize { get; init; } = 256;

    /// <summary>Super-resolution scale; must equal <see cref="Degradation"/>.Scale.</summary>
    public int Scale { get; init; } = 4;

    /// <summary>Samples per batch (<c>batch_size_per_gpu</c>, 12 in the x4plus config).</summary>
    public int BatchSize { get; init; } = 12;

    /// <summary>
    /// Every GT is padded/cropped to this square before the degradation (Real-ESRGAN hard-codes 400). Must be at least
    /// <see cref="GtSize"/> and the degradation's <see cref="RealEsrganDegradation.MinimumInputSize"/>. Not used by
    /// <see cref="SrCropMode.ResShiftRescale"/> (ResShift ignores its <c>crop_pad_size</c> when <c>rescale_gt</c>).
    /// </summary>
    public int CropPadSize { get; init; } = 400;

    /// <summary>Random horizontal flip (<c>use_hflip</c>).</summary>
    public bool UseHflip { get; init; } = true;

    /// <summary>Random vertical flip and transpose (<c>use_rot</c>).</summary>
    public bool UseRot { get; init; } = false;

    /// <summary>Root seed: every draw (order, flips, crops, degradation) derives from (Seed, epoch, index).</summary>
    public long Seed { get; init; } = 0;

    /// <summary>Visit the images in a seeded random order each epoch (<c>use_shuffle</c>); false keeps the sorted order.</summary>
    public bool Shuffle { get; init; } = true;

    /// <summary>Drop the last batch of an epoch when it has fewer than <see cref="BatchSize"/> samples (BasicSR: true for training).</summary>
    public bool DropLast { get; init; } = true;

    /// <summary>
    /// Capacity of the bounded queue between the background worker and the consumer; the worker is at most this many
    /// batches ahead (plus the one it is making). 0 (default) makes batches on the consumer's thread (no worker): a second
    /// thread that allocates while the consumer is inside libtorch risks TorchSharp's Scalar race
    /// (docs/TORCHSHARP-SCALAR-RACE.md). The batches do not depend on it.
    /// </summary>
    public int PrefetchBatches { get; init; }

    /// <summary>
    /// Make the LQ from the USM-sharpened GT, as Real-ESRGAN does (default). False makes it from the plain GT, as
    /// ResShift/SinSR configs do with <c>use_sharp: False</c>; the random draws are the same either way.
    /// </summary>
    public bool LqFromSharpenedGt { get; init; } = true;

    /// <summary>
    /// USM-sharpen the GT patch again after the crop for <see cref="SrPairBatch.GtUsm"/>, as Real-ESRGAN's feed_data
    /// does (default). False crops the sharpened image the LQ was made from instead (the plain GT when
    /// <see cref="LqFromSharpenedGt"/> is false): the same pixels except within <c>UsmRadius/2</c> of the patch
    /// border, and faster (no second 51×51 USM on the patches) — for trainers that do not use <c>GtUsm</c> (ResShift, SinSR).
    /// </summary>
    public bool ResharpenGt { get; init; } = true;

    /// <summary>How each GT is brought to the degradation's input size (Real-ESRGAN crop/pad, or ResShift's rescale).</summary>
    public SrCropMode CropMode { get; init; } = SrCropMode.RealEsrganCropPad;

    /// <summary>Settings of the second-order degradation.</summary>
    public RealEsrganDegradationOptions Degradation { get; init; } = new();

    /// <summary>Decoder limits and listing of the image folder.</summary>
    public HrImageFolderOptions Folder { get; init; } = new();

    /// <summary>Throws <see cref="ArgumentOutOfRangeException"/> naming the first invalid option, its value and the allowed range.</summary>
    public void Validate()
    {
        ArgumentNullException.ThrowIfNull(Degradation, nameof(Degradation));
        ArgumentNullException.ThrowIfNull(Folder, nameof(Folder));
        Degradation.Validate();
        Folder.Validate();
        if (Scale < 1) Fail(nameof(Scale), Scale, ">= 1");
        if (Degradation.Scale != Scale) Fail(nameof(Scale), Scale, $"equal to Degradation.Scale ({Degradation.Scale})");
        if (GtSize < Scale || GtSize % Scale != 0) Fail(nameof(GtSize), GtSize, $"a positive multiple of Scale ({Scale})");
        // The GT target is USM-sharpened after the crop (51x51 reflect-padded kernel by default).
        int usmHalf = (Degradation.UsmRadius | 1) / 2;
        if (GtSize <= usmHalf) Fail(nameof(GtSize), GtSize, $"> {usmHalf} (the USM kernel's reflect padding)");
        if (!Enum.IsDefined(CropMode)) Fail(nameof(CropMode), CropMode, "a defined SrCropMode");
        if (CropMode == SrCropMode.RealEsrganCropPad && CropPadSize < GtSize) Fail(nameof(CropPadSize), CropPadSize, $">= GtSize ({GtSize})");
        if (BatchSize < 1) Fail(nameof(BatchSize), BatchSize, ">= 1");
        if (PrefetchBatches < 0) Fail(nameof(PrefetchBatches), PrefetchBatches, ">= 0");
    }

    [System.Diagnostics.CodeAnalysis.DoesNotReturn]
    static void Fail(string name, object value, string allowed) =>
        throw new ArgumentOutOfRangeException(name, $"{name} must be {allowed}; got {value}.");
}
