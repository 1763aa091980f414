using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Transforms.Image;

namespace HfDiff.MLNet.Imaging;

/// <summary>
/// Fixed-size image columns (<c>ResizeImages</c>, <c>[ImageType(h, w)]</c>) for the custom mappings. A mapping reads its
/// <see cref="MLImage"/> member from any image column, but ML.NET builds the reader only for column types it has
/// registered (<see cref="DataViewTypeManager"/>): the any-size type is (<see cref="AnyImageAttribute"/>), a fixed size only
/// once something registers it, which ML.NET itself does for <c>[ImageType(h, w)]</c> members and not for
/// <c>ResizeImages</c>. Registration is per process; it is what ML.NET's own <see cref="ImageTypeAttribute"/> registers,
/// so it never conflicts with it.
/// </summary>
internal static class SizedImageTypes
{
    /// <summary>Registers <paramref name="type"/> when it has a fixed size (the any-size type is registered already).</summary>
    public static void Register(ImageDataViewType type)
    {
        AnyImageAttribute.EnsureRegistered();
        if (type.Height > 0 && type.Width > 0) new ImageTypeAttribute(type.Height, type.Width).Register();
    }

    /// <summary>Registers the fixed-size image columns of <paramref name="schema"/>.</summary>
    public static void RegisterColumns(DataViewSchema schema)
    {
        foreach (var column in schema)
            if (column.Type is ImageDataViewType image) Register(image);
    }

    /// <summary>
    /// Registers the fixed-size image columns that reach any part of <paramref name="model"/> (at any depth of nested
    /// chains) from data of <paramref name="inputSchema"/>: what a model loaded in a new process needs before it reads rows.
    /// </summary>
    public static void RegisterColumns(ITransformer model, DataViewSchema inputSchema)
    {
        RegisterColumns(inputSchema);
        if (model is TransformerChain<ITransformer> chain)
        {
            var schema = inputSchema;
            foreach (var part in chain)
            {
                RegisterColumns(part, schema);
                schema = part.GetOutputSchema(schema);
            }
        }
        RegisterColumns(model.GetOutputSchema(inputSchema));
    }
}
