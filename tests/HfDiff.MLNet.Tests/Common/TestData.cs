using HfDiff.MLNet.Common;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace HfDiff.MLNet.Tests.Common;

internal static class TestData
{
    /// <summary>The estimator-side schema of <paramref name="data"/>'s scalar columns (ML.NET's SchemaShape.Create is internal).</summary>
    public static SchemaShape ShapeOf(IDataView data) =>
        data.Schema.Aggregate(new SchemaShape([]), (shape, c) => MLNetInternals.WithScalarColumn(shape, c.Name, c.Type));

    /// <summary>
    /// The images of an image column, copied as they are read: ML.NET's image transforms (e.g. ResizeImages) dispose the
    /// image of a row when the cursor moves on.
    /// </summary>
    public static List<MLImage> Images(IDataView data, string column) =>
        data.GetColumn<MLImage>(column).Select(i => MLImage.CreateFromPixels(i.Width, i.Height, i.PixelFormat, i.Pixels.ToArray())).ToList();
}
