// pyiqa metric `musiq` (chaofengc/IQA-PyTorch pyiqa/archs/musiq_arch.py, KonIQ-10k checkpoint) with pyiqa's
// InferenceModel semantics. Paper: Ke et al., "MUSIQ: Multi-scale Image Quality Transformer", ICCV 2021.
using HfDiff.Torch.Assets;
using HfDiff.Torch.Weights;
using TorchSharp;
using static TorchSharp.torch;

namespace HfDiff.Torch.Metrics.Musiq;

/// <summary>
/// MUSIQ no-reference quality (higher is better): multi-scale patches (<see cref="MusiqPatches"/>) scored by
/// <see cref="MusiqModel"/>. With the KonIQ head the score is on KonIQ's MOS scale (roughly 0–100).
/// </summary>
public sealed class MusiqMetric : IImageQualityMetric
{
    public MusiqModel Model { get; }
    public MusiqOptions Options => Model.Options;
    public string Name { get; }
    public MetricMode Mode => MetricMode.NoReference;
    public bool LowerIsBetter => false;

    /// <summary>Builds MUSIQ from a pyiqa state dict (strict: every key and shape must match <paramref name="options"/>).</summary>
    public MusiqMetric(MusiqOptions options, IReadOnlyDictionary<string, Tensor> stateDict, string source = "MUSIQ state dict", string name = "musiq")
    {
        ArgumentNullException.ThrowIfNull(stateDict);
        Name = name;
        Model = new MusiqModel(options);
        try { Checkpoint.LoadInto(Model, stateDict, strict: true, source); }
        catch { Model.Dispose(); throw; }
        Model.eval();
    }

    /// <summary>Builds MUSIQ from a checkpoint file (pyiqa's <c>musiq_*_ckpt-*.pth</c>; a <c>params</c> nesting is unwrapped).</summary>
    public static MusiqMetric FromFile(string path, MusiqOptions? options = null)
    {
        var sd = Checkpoint.LoadStateDict(path);
        try { return new MusiqMetric(options ?? new MusiqOptions(), sd, $"'{path}'"); }
        finally { foreach (var t in sd.Values) t.Dispose(); }
    }

    /// <summary>The KonIQ-10k model (<c>musiq_koniq_ckpt-e95806b9.pth</c>) from the model directory, full-size defaults.</summary>
    public static MusiqMetric FromModelDirectory(ModelDirectory? models = null) =>
        FromFile((models ?? ModelDirectory.Resolve()).Require(KnownAssets.MusiqKoniq));

    /// <summary>
    /// Any size whose aspect ratio survives the resize: every scale's shorter side, round(shorter · L / longer), must
    /// be at least one pixel (the network itself takes any patch count; 1×1 images score).
    /// </summary>
    public string? SizeProblem(long height, long width)
    {
        long shorter = Math.Min(height, width), longer = Math.Max(height, width);
        if (shorter < 1) return MetricSize.AtLeast(Name, height, width, 1, 1, "an empty image");
        int smallest = Options.LongerSideLengths.Min();
        if (Math.Round(shorter * ((double)smallest / longer)) >= 1) return null;
        // Smallest shorter side whose resize to the smallest scale rounds to 1 (round half to even: > 0.5).
        long need = (long)Math.Floor(longer / (2.0 * smallest)) + 1;
        return $"{Name} needs the shorter side to be at least {need} pixels for a longer side of {longer} (the aspect ratio is too extreme: " +
               $"resizing to longer side {smallest} leaves no rows); got {height}×{width}.";
    }

    /// <summary>The patch rows pyiqa feeds the network for (N,3,H,W) float32 images in [0,1].</summary>
    public Tensor Patches(Tensor image) => MusiqPatches.FromImage(image, Options);

    /// <summary>Preprocessing and forward pass with intermediates, for (N,3,H,W) float32 images in [0,1].</summary>
    public MusiqTrace Trace(Tensor image)
    {
        using var patches = Patches(image);
        return Model.Trace(patches);
    }

    /// <summary>pyiqa's <c>musiq(img)</c>: one (1,3,H,W) float32 RGB image in [0,1]; higher is better.</summary>
    public double Score(Tensor distorted, Tensor? reference = null)
    {
        ArgumentNullException.ThrowIfNull(distorted);
        if (reference is not null)
            throw new ArgumentException($"{Name} is a no-reference metric; pass no reference image.", nameof(reference));
        if (distorted.ndim != 4 || distorted.shape[0] != 1 || distorted.shape[1] != 3 || distorted.dtype != ScalarType.Float32)
            throw new ArgumentException($"distorted must be one image (1,3,H,W) float32; got [{string.Join(",", distorted.shape)}] {distorted.dtype}.", nameof(distorted));
        MetricSize.Require(this, distorted);
        using var image = distorted.to(Device);   // a new handle even on the same device: disposed here
        using var trace = Trace(image);
        return trace.Score.item<float>();
    }

    /// <summary>Images of equal size are scored in one forward pass (their patch rows have equal length).</summary>
    public IReadOnlyList<double> ScoreBatch(IReadOnlyList<Tensor> distorted, IReadOnlyList<Tensor>? references = null) =>
        MetricBatching.ByEqualSize(this, distorted, references, Device, (d, _) =>
        {
            using var trace = Trace(d);
            return trace.Score.alias();
        });

    /// <summary>The device of the network's weights.</summary>
    public Device Device => Model.parameters().First().device;

    public void MoveTo(Device device) => Model.to(device);

    public void Dispose() => Model.Dispose();
}
