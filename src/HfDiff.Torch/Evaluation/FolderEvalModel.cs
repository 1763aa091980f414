using HfDiff.Torch.Imaging;
using static TorchSharp.torch;

namespace HfDiff.Torch.Evaluation;

/// <summary>
/// SR outputs made elsewhere (e.g. published results of another method), found in <see cref="Folder"/> by the LR
/// image's name stem, optionally inside a sub-folder named after the dataset.
/// </summary>
public sealed class FolderEvalModel : IEvalModel
{
    static readonly string[] Extensions = [".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff", ".webp"];

    public FolderEvalModel(string name, string folder)
    {
        EvalNames.Check(name, "model");
        if (!Directory.Exists(folder)) throw new DirectoryNotFoundException($"Model '{name}': folder of SR images '{folder}' does not exist.");
        Name = name;
        Folder = Path.GetFullPath(folder);
    }

    public string Name { get; }
    public string Folder { get; }
    public string Description => $"SR images from {Folder}";
    public long? ParameterCount => null;
    public bool Computes => false;

    /// <summary>The SR file of an image, or null when the folder has none.</summary>
    public string? Find(EvalImage image, string? dataset = null)
    {
        foreach (var dir in dataset is null ? [Folder] : new[] { Path.Combine(Folder, dataset), Folder })
        {
            if (!Directory.Exists(dir)) continue;
            foreach (var ext in Extensions)
            {
                var p = Path.Combine(dir, image.Stem + ext);
                if (File.Exists(p)) return p;
            }
        }
        return null;
    }

    public Tensor SuperResolve(EvalImage image, int scale)
    {
        var path = Find(image) ?? throw new FileNotFoundException($"Model '{Name}': no SR image named '{image.Stem}.*' in '{Folder}'.");
        return ImageIO.ReadTensor(path);
    }

    public Tensor SuperResolve(Tensor lr01, int scale) =>
        throw new NotSupportedException($"Model '{Name}' is a folder of SR images; it cannot super-resolve new inputs.");

    public void Dispose() { }
}
