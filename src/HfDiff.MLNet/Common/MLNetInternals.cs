using System.Reflection;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Runtime;
using Microsoft.ML.Transforms;

namespace HfDiff.MLNet.Common;

/// <summary>
/// The few ML.NET members we reach by reflection because they are internal (<c>[BestFriend]</c>), each with the reason.
/// They fail loudly, naming the member, if a future ML.NET renames them.
/// </summary>
internal static class MLNetInternals
{
    /// <summary>
    /// The host environment behind a catalog (TransformsCatalog keeps it in the private field <c>_env</c>, exposed only
    /// through an internal interface). We need it to build custom-mapping transformers directly and to read the
    /// context's GpuDeviceId/FallbackToCpu.
    /// </summary>
    public static IHostEnvironment EnvironmentOf(TransformsCatalog catalog) =>
        typeof(TransformsCatalog).GetField("_env", BindingFlags.Instance | BindingFlags.NonPublic)?.GetValue(catalog) as IHostEnvironment
        ?? throw new MissingFieldException("TransformsCatalog._env not found in this ML.NET version.");

    /// <summary>
    /// Whether the MLContext was cancelled (its internal <c>CancelExecution()</c>, which AutoML calls), as seen by a host
    /// registered on it: ML.NET's own trainers poll <c>ICancelable.IsCanceled</c>, an internal interface every host implements.
    /// </summary>
    public static Func<bool> CancellationOf(IHost host)
    {
        var property = host.GetType().GetInterfaces().FirstOrDefault(i => i.FullName == "Microsoft.ML.Runtime.ICancelable")?.GetProperty("IsCanceled")
            ?? throw new MissingMemberException("ICancelable.IsCanceled not found on the ML.NET host in this ML.NET version.");
        return () => (bool)property.GetValue(host)!;
    }

    /// <summary>GpuDeviceId and FallbackToCpu of an environment (MLContext, or its internal environment).</summary>
    public static (int? GpuDeviceId, bool FallbackToCpu) GpuSettings(IHostEnvironment env)
    {
        if (env is MLContext context) return (context.GpuDeviceId, context.FallbackToCpu);
        int? gpu = null; bool fallback = false;
        foreach (var type in env.GetType().GetInterfaces().Prepend(env.GetType()))
            foreach (var p in type.GetProperties(BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic))
            {
                if (p.Name.EndsWith("GpuDeviceId", StringComparison.Ordinal)) gpu = (int?)p.GetValue(env);
                if (p.Name.EndsWith("FallbackToCpu", StringComparison.Ordinal)) fallback = (bool)p.GetValue(env)!;
            }
        return (gpu, fallback);
    }

    /// <summary>
    /// A fitted custom mapping, built without <c>CustomMappingEstimator</c>: the estimator compares image column types by
    /// reference, so it rejects every image column not made by the very type instance our input class registers, while the
    /// transformer (and ML.NET's loader for saved models) compare by value.
    /// </summary>
    public static ITransformer CustomMapping<TSrc, TDst>(IHostEnvironment env, Action<TSrc, TDst> mapping, string contractName)
        where TSrc : class, new() where TDst : class, new()
    {
        var ctor = typeof(CustomMappingTransformer<TSrc, TDst>).GetConstructors(BindingFlags.Instance | BindingFlags.NonPublic)
            .FirstOrDefault(c => c.GetParameters().Length == 5)
            ?? throw new MissingMethodException("CustomMappingTransformer(IHostEnvironment, Action, string, SchemaDefinition, SchemaDefinition) not found in this ML.NET version.");
        return (ITransformer)ctor.Invoke([env, mapping, contractName, null, null]);
    }

    /// <summary>An output schema shape with one more scalar column (SchemaShape.Column's constructor is internal).</summary>
    public static SchemaShape WithScalarColumn(SchemaShape input, string name, DataViewType type)
    {
        var ctor = typeof(SchemaShape.Column).GetConstructors(BindingFlags.Instance | BindingFlags.NonPublic)
            .FirstOrDefault(c => c.GetParameters().Length == 5)
            ?? throw new MissingMethodException("SchemaShape.Column(string, VectorKind, DataViewType, bool, SchemaShape) not found in this ML.NET version.");
        var column = (SchemaShape.Column)ctor.Invoke([name, SchemaShape.Column.VectorKind.Scalar, type, false, null]);
        var columns = input.Where(c => c.Name != name).ToList();
        columns.Add(column);
        return new SchemaShape(columns);
    }
}
