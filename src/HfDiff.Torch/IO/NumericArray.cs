using HfDiff.Torch.Assets;

namespace HfDiff.Torch.IO;

/// <summary>A named numeric array read from a parameter file, as float64 in row-major (C) order.</summary>
/// <param name="Name">Variable name in the file.</param>
/// <param name="Shape">Dimensions, outermost first.</param>
/// <param name="Data">Values in row-major order (converted from column-major where the file stores it so).</param>
public sealed record NumericArray(string Name, int[] Shape, double[] Data)
{
    public long Count => Data.LongLength;

    /// <summary>Reorders column-major (Fortran / MATLAB) values of the given shape into row-major order.</summary>
    internal static double[] ColumnMajorToRowMajor(double[] src, int[] shape)
    {
        if (shape.Length <= 1) return src;
        var dst = new double[src.Length];
        var idx = new int[shape.Length];
        for (long f = 0; f < src.LongLength; f++)
        {
            // f is the column-major offset of idx; compute the row-major offset of the same index.
            long c = 0;
            for (int d = 0; d < shape.Length; d++) c = c * shape[d] + idx[d];
            dst[c] = src[f];
            for (int d = 0; d < shape.Length; d++)
            {
                if (++idx[d] < shape[d]) break;
                idx[d] = 0;
            }
        }
        return dst;
    }
}
