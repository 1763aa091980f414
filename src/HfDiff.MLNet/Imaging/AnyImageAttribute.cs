using Microsoft.ML.Data;
using Microsoft.ML.Transforms.Image;

namespace HfDiff.MLNet.Imaging;

/// <summary>
/// Marks an <see cref="MLImage"/> member as an image column of any size (<c>new ImageDataViewType()</c>, what
/// <c>LoadImages</c> produces). ML.NET's own <see cref="ImageTypeAttribute"/> only registers sized image types, and a
/// custom mapping reloaded from a saved model can bind its columns only through attributes.
/// </summary>
[AttributeUsage(AttributeTargets.Property | AttributeTargets.Field)]
public sealed class AnyImageAttribute : DataViewTypeAttribute
{
    static readonly object Gate = new();
    static bool _registered;

    /// <summary>Registers the MLImage ↔ any-size image type mapping once per process.</summary>
    public static void EnsureRegistered()
    {
        lock (Gate)
        {
            if (_registered) return;
            new AnyImageAttribute().Register();
            _registered = true;
        }
    }

    public override bool Equals(DataViewTypeAttribute other) => other is AnyImageAttribute;
    public override bool Equals(object? obj) => obj is AnyImageAttribute;
    public override int GetHashCode() => typeof(AnyImageAttribute).GetHashCode();
    public override void Register() => DataViewTypeManager.Register(new ImageDataViewType(), typeof(MLImage), this);
}
