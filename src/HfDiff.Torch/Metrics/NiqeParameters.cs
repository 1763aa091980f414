using HfDiff.Torch.Assets;
using HfDiff.Torch.IO;
using static TorchSharp.torch;

namespace HfDiff.Torch.Metrics;

/// <summary>
/// NIQE's pristine multivariate Gaussian: the mean (36) and covariance (36×36) of the natural-scene features of pristine
/// images (MATLAB niqe_release <c>modelparameters.mat</c>). Pretrained data we do not ship: loaded from the model directory
/// (pyiqa's <c>niqe_modelparameters.mat</c> or BasicSR's <c>niqe_pris_params.npz</c>, the same numbers).
/// </summary>
public sealed class NiqeParameters
{
    public const int FeatureCount = 36;

    /// <summary>Pristine mean, 36 values.</summary>
    public IReadOnlyList<double> Mean => _mean;
    /// <summary>Pristine covariance, 36×36 row-major.</summary>
    public IReadOnlyList<double> Covariance => _cov;

    internal readonly double[] _mean;
    internal readonly double[] _cov;

    /// <summary>From arrays: <paramref name="mean"/> (36) and <paramref name="covariance"/> (36×36 row-major); copied.</summary>
    public NiqeParameters(IReadOnlyList<double> mean, IReadOnlyList<double> covariance, string source = "arguments")
    {
        ArgumentNullException.ThrowIfNull(mean);
        ArgumentNullException.ThrowIfNull(covariance);
        if (mean.Count != FeatureCount)
            throw new ArgumentException($"NIQE pristine mean from {source} must have {FeatureCount} values; got {mean.Count}.", nameof(mean));
        if (covariance.Count != FeatureCount * FeatureCount)
            throw new ArgumentException($"NIQE pristine covariance from {source} must be {FeatureCount}×{FeatureCount}; got {covariance.Count} values.", nameof(covariance));
        _mean = mean.ToArray();
        _cov = covariance.ToArray();
    }

    /// <summary>From tensors: <paramref name="mean"/> with 36 elements (any shape, e.g. (36) or (1,36)) and a (36,36) covariance.</summary>
    public static NiqeParameters FromTensors(Tensor mean, Tensor covariance)
    {
        ArgumentNullException.ThrowIfNull(mean);
        ArgumentNullException.ThrowIfNull(covariance);
        if (covariance.ndim != 2 || covariance.shape[0] != FeatureCount || covariance.shape[1] != FeatureCount)
            throw new ArgumentException($"NIQE pristine covariance must have shape ({FeatureCount}, {FeatureCount}); got {MetricImage.Shape(covariance)}.", nameof(covariance));
        using var m = mean.detach().cpu().to_type(ScalarType.Float64).contiguous();
        using var c = covariance.detach().cpu().to_type(ScalarType.Float64).contiguous();
        return new NiqeParameters(m.data<double>().ToArray(), c.data<double>().ToArray(), "tensors");
    }

    /// <summary>pyiqa's <c>niqe_modelparameters.mat</c> (variables <c>mu_prisparam</c>, <c>cov_prisparam</c>).</summary>
    public static NiqeParameters FromMatFile(string path)
    {
        var vars = MatFile.Read(path);
        return FromArrays(vars, "mu_prisparam", "cov_prisparam", path);
    }

    /// <summary>BasicSR's <c>niqe_pris_params.npz</c> (arrays <c>mu_pris_param</c>, <c>cov_pris_param</c>).</summary>
    public static NiqeParameters FromNpz(string path)
    {
        var arrays = NpyFile.ReadNpz(path);
        return FromArrays(arrays, "mu_pris_param", "cov_pris_param", path);
    }

    /// <summary>Loads a .mat or .npz file by its extension.</summary>
    public static NiqeParameters FromFile(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"NIQE parameter file '{path}' does not exist.", path);
        return Path.GetExtension(path).ToLowerInvariant() switch
        {
            ".mat" => FromMatFile(path),
            ".npz" => FromNpz(path),
            var ext => throw new AssetFormatException($"'{path}': NIQE parameters must be a .mat (pyiqa) or .npz (BasicSR) file, not '{ext}'."),
        };
    }

    /// <summary>
    /// The pristine model from the model directory: <c>niqe_modelparameters.mat</c> (pyiqa) or <c>niqe_pris_params.npz</c>
    /// (BasicSR); <see cref="ModelAssetMissingException"/> naming both files and their sources when neither is there.
    /// </summary>
    public static NiqeParameters FromModelDirectory(ModelDirectory? models = null)
    {
        models ??= ModelDirectory.Resolve();
        return FromFile(models.Require(KnownAssets.NiqeMatlabParams, KnownAssets.NiqeBasicSrParams));
    }

    static NiqeParameters FromArrays(IReadOnlyDictionary<string, NumericArray> arrays, string muName, string covName, string path)
    {
        if (!arrays.TryGetValue(muName, out var mu) || !arrays.TryGetValue(covName, out var cov))
            throw new AssetFormatException(
                $"'{path}' must contain the arrays '{muName}' and '{covName}'; it has: {string.Join(", ", arrays.Keys.OrderBy(k => k))}.");
        if (mu.Count != FeatureCount)
            throw new AssetFormatException($"'{path}': '{muName}' has {mu.Count} values [{string.Join("x", mu.Shape)}]; NIQE needs {FeatureCount}.");
        if (cov.Shape.Length != 2 || cov.Shape[0] != FeatureCount || cov.Shape[1] != FeatureCount)
            throw new AssetFormatException($"'{path}': '{covName}' has shape [{string.Join("x", cov.Shape)}]; NIQE needs {FeatureCount}x{FeatureCount}.");
        return new NiqeParameters(mu.Data, cov.Data, path);
    }
}
