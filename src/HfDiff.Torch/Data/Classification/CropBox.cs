namespace HfDiff.Torch.Data.Classification;

/// <summary>A crop rectangle in pixels: rows <c>[Top, Top+Height)</c>, columns <c>[Left, Left+Width)</c>.</summary>
public readonly record struct CropBox(int Top, int Left, int Height, int Width);
