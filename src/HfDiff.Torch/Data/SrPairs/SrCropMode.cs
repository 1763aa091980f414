namespace HfDiff.Torch.Data.SrPairs;

/// <summary>How <see cref="SrPairLoader"/> brings each (augmented) GT to the size the degradation runs on.</summary>
public enum SrCropMode
{
    /// <summary>
    /// Real-ESRGAN (<c>realesrgan_dataset.py</c>): reflect-101 pad the bottom/right up to <c>CropPadSize</c> (one
    /// <c>cv2.copyMakeBorder</c>), random <c>CropPadSize</c>² crop, degrade, then a random <c>GtSize</c> paired crop.
    /// </summary>
    RealEsrganCropPad,

    /// <summary>
    /// ResShift <c>rescale_gt: True</c> (its <c>basicsr/data/realesrgan_dataset.py</c>, used by
    /// <c>configs/realsr_swinunet_realesrgan256.yaml</c>): side <c>s = max(min(H, W), GtSize)</c>; reflect-101 pad in
    /// steps of at most the current size until both sides reach s; random s² crop; <c>cv2.INTER_AREA</c> resize to
    /// <c>GtSize</c>; degrade at <c>GtSize</c> (the paired crop then keeps everything).
    /// </summary>
    ResShiftRescale,
}
