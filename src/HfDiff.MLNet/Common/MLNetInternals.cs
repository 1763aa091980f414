using System.Reflection;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Runtime;
using Microsoft.ML.Transforms;

namespace HfDiff.MLNet.Common;

/// <summary>
/// Every ML.NET member HfDiff.MLNet reaches by reflection, because it is internal (<c>[BestFriend]</c>) or private, each
/// with the reason. No other file of this assembly uses reflection on ML.NET. Each member is looked up by one property
/// below (<see cref="Members"/> lists them); a lookup that fails throws <see cref="MissingMemberException"/> naming the
/// member, the ML.NET version and what it is for, and <c>MLNetInternalsTests</c> has one test per member, so an ML.NET
/// upgrade that renames one fails there, in one obvious place.
/// </summary>
internal static class MLNetInternals
{
    const BindingFlags Instance = BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic;

    /// <summary>The ML.NET version in use, as error messages name it.</summary>
    public static string MLNetVersion =>
        typeof(MLContext).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0]
        ?? typeof(MLContext).Assembly.GetName().Version?.ToString() ?? "?";

    static MissingMemberException Missing(string member, string usedFor) =>
        new($"HfDiff.MLNet needs the ML.NET member {member}, which Microsoft.ML {MLNetVersion} does not have (it is internal " +
            $"and may change between versions); it is used to {usedFor}.");

    // ---- The members, one lookup each -------------------------------------------------------------------------------
    // Each is found on first use and cached (a failed lookup too: it throws its own error each time it is read, rather
    // than a TypeInitializationException that hides which member is missing).

    /// <summary>
    /// <c>TransformsCatalog._env</c> (private field): the host environment behind a catalog, exposed by ML.NET only through
    /// an internal interface. Needed to build custom-mapping transformers directly and to read GpuDeviceId/FallbackToCpu.
    /// </summary>
    public static FieldInfo TransformsCatalogEnvironment => _transformsCatalogEnvironment.Value;
    static readonly Lazy<FieldInfo> _transformsCatalogEnvironment = Lookup(() =>
        typeof(TransformsCatalog).GetField("_env", Instance) is { } f && typeof(IHostEnvironment).IsAssignableFrom(f.FieldType) ? f : null,
        "TransformsCatalog._env (private field of type IHostEnvironment)",
        "reach the environment behind mlContext.Transforms (custom mappings, GpuDeviceId)");

    /// <summary>
    /// <c>Microsoft.ML.Runtime.ICancelable.IsCanceled</c> (internal interface every host implements): whether the MLContext
    /// was cancelled (its internal <c>CancelExecution()</c>, which AutoML calls). ML.NET's own trainers poll it.
    /// </summary>
    public static PropertyInfo CancelableIsCanceled => _cancelableIsCanceled.Value;
    static readonly Lazy<PropertyInfo> _cancelableIsCanceled = Lookup(() =>
        InternalType("Microsoft.ML.Runtime.ICancelable")?.GetProperty("IsCanceled") is { } p && p.PropertyType == typeof(bool) ? p : null,
        "Microsoft.ML.Runtime.ICancelable.IsCanceled (internal interface property of type bool)",
        "stop the SR trainers when the MLContext is cancelled");

    /// <summary>
    /// <c>Microsoft.ML.Runtime.IHostEnvironmentInternal.GpuDeviceId</c> (internal interface property, <c>int?</c>): the
    /// context's GPU setting seen from the environment behind its catalogs (<see cref="MLContext.GpuDeviceId"/> forwards to it).
    /// </summary>
    public static PropertyInfo EnvironmentGpuDeviceId => _environmentGpuDeviceId.Value;
    static readonly Lazy<PropertyInfo> _environmentGpuDeviceId = Lookup(() =>
        InternalType("Microsoft.ML.Runtime.IHostEnvironmentInternal")?.GetProperty("GpuDeviceId") is { } p && p.PropertyType == typeof(int?) ? p : null,
        "Microsoft.ML.Runtime.IHostEnvironmentInternal.GpuDeviceId (internal interface property of type int?)",
        "read MLContext.GpuDeviceId from the environment behind mlContext.Transforms");

    /// <summary><c>Microsoft.ML.Runtime.IHostEnvironmentInternal.FallbackToCpu</c> (internal interface property, <c>bool</c>), as <see cref="EnvironmentGpuDeviceId"/>.</summary>
    public static PropertyInfo EnvironmentFallbackToCpu => _environmentFallbackToCpu.Value;
    static readonly Lazy<PropertyInfo> _environmentFallbackToCpu = Lookup(() =>
        InternalType("Microsoft.ML.Runtime.IHostEnvironmentInternal")?.GetProperty("FallbackToCpu") is { } p && p.PropertyType == typeof(bool) ? p : null,
        "Microsoft.ML.Runtime.IHostEnvironmentInternal.FallbackToCpu (internal interface property of type bool)",
        "read MLContext.FallbackToCpu from the environment behind mlContext.Transforms");

    /// <summary>
    /// The internal constructor <c>CustomMappingTransformer&lt;TSrc, TDst&gt;(IHostEnvironment, Action&lt;TSrc, TDst&gt;, string,
    /// SchemaDefinition, SchemaDefinition)</c>: a fitted custom mapping without <c>CustomMappingEstimator</c>, whose schema
    /// check compares image column types by reference and so rejects every image column not made by the very type
    /// instance our input class registers (the transformer, and ML.NET's loader for saved models, compare raw types).
    /// </summary>
    public static ConstructorInfo CustomMappingTransformerConstructor<TSrc, TDst>() where TSrc : class, new() where TDst : class, new() =>
        CustomMappingConstructors<TSrc, TDst>.Value.Value;

    static class CustomMappingConstructors<TSrc, TDst> where TSrc : class, new() where TDst : class, new()
    {
        public static readonly Lazy<ConstructorInfo> Value = Lookup(() =>
            typeof(CustomMappingTransformer<TSrc, TDst>).GetConstructor(Instance, null,
                [typeof(IHostEnvironment), typeof(Action<TSrc, TDst>), typeof(string), typeof(SchemaDefinition), typeof(SchemaDefinition)], null),
            "CustomMappingTransformer<TSrc, TDst>(IHostEnvironment, Action<TSrc, TDst>, string, SchemaDefinition, SchemaDefinition) (internal constructor)",
            "build the fitted custom mapping of every HfDiff transform");
    }

    /// <summary>
    /// The internal constructor <c>SchemaShape.Column(string, VectorKind, DataViewType, bool, SchemaShape)</c>: the
    /// estimators' <c>GetOutputSchema</c> adds their output column with it.
    /// </summary>
    public static ConstructorInfo SchemaShapeColumnConstructor => _schemaShapeColumnConstructor.Value;
    static readonly Lazy<ConstructorInfo> _schemaShapeColumnConstructor = Lookup(() =>
        typeof(SchemaShape.Column).GetConstructor(Instance, null,
            [typeof(string), typeof(SchemaShape.Column.VectorKind), typeof(DataViewType), typeof(bool), typeof(SchemaShape)], null),
        "SchemaShape.Column(string, SchemaShape.Column.VectorKind, DataViewType, bool, SchemaShape) (internal constructor)",
        "describe the output column in the estimators' GetOutputSchema");

    /// <summary>
    /// <c>TransformerChain&lt;ITransformer&gt;._scopes</c> (private field, <c>TransformerScope[]</c>): each part's scope
    /// (training/scoring), kept when <see cref="ImageQuality.ImageQualityBatching.Enable"/> rebuilds a loaded chain.
    /// </summary>
    public static FieldInfo TransformerChainScopes => _transformerChainScopes.Value;
    static readonly Lazy<FieldInfo> _transformerChainScopes = Lookup(() =>
        typeof(TransformerChain<ITransformer>).GetField("_scopes", Instance) is { } f && f.FieldType == typeof(TransformerScope[]) ? f : null,
        "TransformerChain<ITransformer>._scopes (private field of type TransformerScope[])",
        "keep the parts' scopes when a loaded model is rebuilt for batched scoring");

    /// <summary>Name and lookup of every member above, for the tests.</summary>
    public static IReadOnlyList<(string Name, Func<MemberInfo> Lookup)> Members { get; } =
    [
        (nameof(TransformsCatalogEnvironment), () => TransformsCatalogEnvironment),
        (nameof(CancelableIsCanceled), () => CancelableIsCanceled),
        (nameof(EnvironmentGpuDeviceId), () => EnvironmentGpuDeviceId),
        (nameof(EnvironmentFallbackToCpu), () => EnvironmentFallbackToCpu),
        (nameof(CustomMappingTransformerConstructor), () => CustomMappingTransformerConstructor<ImageQuality.ImageSeedInput, ImageQuality.SeedOutput>()),
        (nameof(SchemaShapeColumnConstructor), () => SchemaShapeColumnConstructor),
        (nameof(TransformerChainScopes), () => TransformerChainScopes),
    ];

    static Type? InternalType(string fullName) => typeof(IHostEnvironment).Assembly.GetType(fullName);

    static Lazy<T> Lookup<T>(Func<T?> find, string member, string usedFor) where T : class =>
        new(() => find() ?? throw Missing(member, usedFor), LazyThreadSafetyMode.ExecutionAndPublication);

    // ---- What the rest of the assembly calls ------------------------------------------------------------------------

    /// <summary>The host environment behind a catalog (for mlContext.Transforms: the MLContext).</summary>
    public static IHostEnvironment EnvironmentOf(TransformsCatalog catalog) =>
        TransformsCatalogEnvironment.GetValue(catalog) as IHostEnvironment
        ?? throw new InvalidOperationException("TransformsCatalog._env is null: the catalog has no host environment.");

    /// <summary>Whether the MLContext that <paramref name="host"/> was registered on has been cancelled.</summary>
    public static Func<bool> CancellationOf(IHost host)
    {
        var property = CancelableIsCanceled;
        if (!property.DeclaringType!.IsInstanceOfType(host))
            throw Missing($"{property.DeclaringType.FullName} on the host type {host.GetType().FullName}", "stop the SR trainers when the MLContext is cancelled");
        return () => (bool)property.GetValue(host)!;
    }

    /// <summary>GpuDeviceId and FallbackToCpu of an environment (MLContext, or a host of one).</summary>
    public static (int? GpuDeviceId, bool FallbackToCpu) GpuSettings(IHostEnvironment env)
    {
        if (env is MLContext context) return (context.GpuDeviceId, context.FallbackToCpu);
        var gpu = EnvironmentGpuDeviceId;
        var fallback = EnvironmentFallbackToCpu;
        if (!gpu.DeclaringType!.IsInstanceOfType(env)) return (null, false);   // an environment of another kind has no GPU settings: CPU
        return ((int?)gpu.GetValue(env), (bool)fallback.GetValue(env)!);
    }

    /// <summary>A fitted custom mapping (see <see cref="CustomMappingTransformerConstructor{TSrc, TDst}"/>).</summary>
    public static ITransformer CustomMapping<TSrc, TDst>(IHostEnvironment env, Action<TSrc, TDst> mapping, string contractName)
        where TSrc : class, new() where TDst : class, new() =>
        (ITransformer)CustomMappingTransformerConstructor<TSrc, TDst>().Invoke([env, mapping, contractName, null, null]);

    /// <summary>An output schema shape with one more scalar column (or the column of that name replaced).</summary>
    public static SchemaShape WithScalarColumn(SchemaShape input, string name, DataViewType type)
    {
        var column = (SchemaShape.Column)SchemaShapeColumnConstructor.Invoke([name, SchemaShape.Column.VectorKind.Scalar, type, false, null]);
        var columns = input.Where(c => c.Name != name).ToList();
        columns.Add(column);
        return new SchemaShape(columns);
    }

    /// <summary>The scope of each part of <paramref name="chain"/> (training/scoring), as the chain holds them.</summary>
    public static TransformerScope[]? ScopesOf(TransformerChain<ITransformer> chain) => TransformerChainScopes.GetValue(chain) as TransformerScope[];
}
