using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Transforms.Image;

namespace HfDiff.MLNet.Common;

/// <summary>What an image input column holds: a file path (text) or a decoded ML.NET image.</summary>
public enum ImageColumnKind { Path, Image }

/// <summary>Schema checks shared by estimators and transformers, worded as ML.NET's own.</summary>
internal static class SchemaChecks
{
    const string Expectation = "Image (any size, as LoadImages gives) or String (a file path)";

    /// <summary>Estimator side (<see cref="SchemaShape"/>): presence, then type.</summary>
    public static ImageColumnKind ImageColumn(SchemaShape schema, string name)
    {
        var found = schema.Where(c => c.Name == name).ToList();
        if (found.Count == 0) throw new ArgumentOutOfRangeException(nameof(schema), $"Could not find input column '{name}'");
        var col = found[^1];
        bool scalar = col.Kind == SchemaShape.Column.VectorKind.Scalar;
        if (scalar && col.ItemType is ImageDataViewType { Height: 0, Width: 0 }) return ImageColumnKind.Image;
        if (scalar && col.ItemType is TextDataViewType) return ImageColumnKind.Path;
        var got = scalar ? col.ItemType.ToString() : $"Vector<{col.ItemType}>";
        throw new ArgumentOutOfRangeException(nameof(schema), $"Schema mismatch for input column '{name}': expected {Expectation}, got {got}");
    }

    /// <summary>Transformer side (<see cref="DataViewSchema"/>): presence, then type.</summary>
    public static ImageColumnKind ImageColumn(DataViewSchema schema, string name)
    {
        var col = schema.GetColumnOrNull(name)
            ?? throw new ArgumentOutOfRangeException(nameof(schema), $"Could not find input column '{name}'");
        if (col.Type is ImageDataViewType { Height: 0, Width: 0 }) return ImageColumnKind.Image;
        if (col.Type is TextDataViewType) return ImageColumnKind.Path;
        throw new ArgumentOutOfRangeException(nameof(schema), $"Schema mismatch for input column '{name}': expected {Expectation}, got {col.Type}");
    }
}
