using HfDiff.MLNet.Degradation;
using HfDiff.MLNet.ImageQuality;
using HfDiff.MLNet.SuperResolution;
using Microsoft.ML;

namespace HfDiff.MLNet;

/// <summary>Entry points on ML.NET's catalogs (C# 14 extension members).</summary>
public static class HfDiffCatalog
{
    extension(TransformsCatalog catalog)
    {
        /// <summary>Image-quality scorers: <c>mlContext.Transforms.ImageQuality.Psnr(...)</c>.</summary>
        public ImageQualityTransforms ImageQuality => new(catalog);

        /// <summary>
        /// Super-resolves <paramref name="inputColumnName"/> (MLImage of any or a fixed size, or image paths) into an MLImage column
        /// <paramref name="outputColumnName"/>; <paramref name="options"/> picks the model, checkpoints, steps and tiling;
        /// <paramref name="device"/> (<c>cpu</c>, <c>cuda</c>, <c>cuda:N</c>; see <see cref="SuperResolveOptions.Device"/>)
        /// wins over MLContext.GpuDeviceId, null leaves the choice to it.
        /// </summary>
        public SuperResolveEstimator SuperResolve(string outputColumnName, string? inputColumnName = null, Torch.Pipelines.SuperResolverOptions? options = null,
            long maxPixels = 64L * 1024 * 1024, string? device = null) =>
            new(catalog, new SuperResolveOptions
            {
                OutputColumnName = outputColumnName, InputColumnName = inputColumnName ?? outputColumnName, Resolver = options ?? new(), MaxPixels = maxPixels, Device = device,
            });

        /// <summary>
        /// Degrades HR images (<paramref name="inputColumnName"/>: MLImage or paths) into LR images with Real-ESRGAN's
        /// second-order pipeline (seeded per row); the matching GT crop goes to <paramref name="groundTruthColumnName"/>.
        /// </summary>
        public DegradeEstimator Degrade(string outputColumnName, string inputColumnName, string? groundTruthColumnName = "GroundTruth",
            int? gtSize = 256, long seed = 0, Torch.Degradations.RealEsrganDegradationOptions? options = null) =>
            new(catalog, new DegradeOptions
            {
                OutputColumnName = outputColumnName, InputColumnName = inputColumnName, GroundTruthColumnName = groundTruthColumnName,
                GtSize = gtSize, Seed = seed, Degradation = options ?? new(),
            });

        /// <summary>Degradation with a full options object.</summary>
        public DegradeEstimator Degrade(DegradeOptions options) => new(catalog, options);

        /// <summary>Super-resolution with a full options object.</summary>
        public SuperResolveEstimator SuperResolve(SuperResolveOptions options) => new(catalog, options);
    }

    extension(MLContext context)
    {
        /// <summary>Image-quality evaluation: <c>mlContext.ImageQuality.Evaluate(scored, "psnr", "ssim")</c>.</summary>
        public ImageQualityCatalog ImageQuality => new(context);

        /// <summary>
        /// SR training and comparison: <c>mlContext.SuperResolution.Trainers.HfDiff(options)</c>,
        /// <c>mlContext.SuperResolution.Evaluate(data, models, options)</c>.
        /// </summary>
        public SuperResolutionCatalog SuperResolution => new(context);
    }

    extension(ModelOperationsCatalog catalog)
    {
        /// <summary>
        /// <c>Model.Load</c>, with the image-quality scorers of the model scoring in batches again
        /// (<see cref="ImageQualityBatching.Enable"/>); plain <c>Load</c> gives the same scores row by row. It also
        /// registers the fixed-size image columns (e.g. from <c>ResizeImages</c>) that reach the HfDiff transforms of the
        /// model, which a model loaded with plain <c>Load</c> in a new process needs before it reads such a column.
        /// </summary>
        public ITransformer LoadWithBatchedScoring(string filePath, out DataViewSchema inputSchema) =>
            Prepared(catalog.Load(filePath, out inputSchema), inputSchema);

        /// <inheritdoc cref="LoadWithBatchedScoring(ModelOperationsCatalog, string, out DataViewSchema)"/>
        public ITransformer LoadWithBatchedScoring(Stream stream, out DataViewSchema inputSchema) =>
            Prepared(catalog.Load(stream, out inputSchema), inputSchema);
    }

    static ITransformer Prepared(ITransformer model, DataViewSchema? inputSchema)
    {
        // Needs the input schema saved with the model (Model.Save(model, data.Schema, path)); a model saved without one,
        // or one its parts refuse, is returned as loaded (its Transform reports a schema error itself).
        if (inputSchema is not null)
        {
            try { Imaging.SizedImageTypes.RegisterColumns(model, inputSchema); }
            catch (Exception e) when (e is ArgumentException or InvalidOperationException) { }
        }
        return ImageQualityBatching.Enable(model);
    }
}
