using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Transforms.Image;

namespace HfDiff.MLNet.Common;

/// <summary>What an image input column holds: a file path (text) or a decoded ML.NET image.</summary>
public enum ImageColumnKind { Path, Image }

/// <summary>
/// Schema checks shared by estimators and transformers, worded as ML.NET's own. Image columns of any size
/// (<c>LoadImages</c>) and of a fixed size (<c>ResizeImages</c>: <see cref="ImageDataViewType.Height"/> and
/// <see cref="ImageDataViewType.Width"/> set) are both accepted; a fixed size is registered with ML.NET on the way
/// (<see cref="Imaging.SizedImageTypes"/>) so that the custom mappings can read the column.
/// </summary>
internal static class SchemaChecks
{
    const string Expectation = "Image (any size as LoadImages gives, or a fixed size as ResizeImages gives) or String (a file path)";

    /// <summary>Estimator side (<see cref="SchemaShape"/>): presence, then type.</summary>
    public static ImageColumnKind ImageColumn(SchemaShape schema, string name)
    {
        var found = schema.Where(c => c.Name == name).ToList();
        if (found.Count == 0) throw new ArgumentOutOfRangeException(nameof(schema), $"Could not find input column '{name}'");
        var col = found[^1];
        bool scalar = col.Kind == SchemaShape.Column.VectorKind.Scalar;
        if (scalar && col.ItemType is ImageDataViewType image) { Imaging.SizedImageTypes.Register(image); return ImageColumnKind.Image; }
        if (scalar && col.ItemType is TextDataViewType) return ImageColumnKind.Path;
        var got = scalar ? col.ItemType.ToString() : $"Vector<{col.ItemType}>";
        throw new ArgumentOutOfRangeException(nameof(schema), $"Schema mismatch for input column '{name}': expected {Expectation}, got {got}");
    }

    /// <summary>Transformer side (<see cref="DataViewSchema"/>): presence, then type.</summary>
    public static ImageColumnKind ImageColumn(DataViewSchema schema, string name)
    {
        var col = schema.GetColumnOrNull(name)
            ?? throw new ArgumentOutOfRangeException(nameof(schema), $"Could not find input column '{name}'");
        if (col.Type is ImageDataViewType image) { Imaging.SizedImageTypes.Register(image); return ImageColumnKind.Image; }
        if (col.Type is TextDataViewType) return ImageColumnKind.Path;
        throw new ArgumentOutOfRangeException(nameof(schema), $"Schema mismatch for input column '{name}': expected {Expectation}, got {col.Type}");
    }
}
