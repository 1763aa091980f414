using System.Reflection;
using System.Text.RegularExpressions;
using HfDiff.MLNet.Common;
using HfDiff.MLNet.ImageQuality;
using HfDiff.Tests.Common;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Runtime;

namespace HfDiff.MLNet.Tests.Common;

/// <summary>
/// One test per ML.NET internal member that <see cref="MLNetInternals"/> reaches by reflection: after an ML.NET upgrade
/// that renames or removes one, exactly its test fails, with the shim's message naming the member and its use.
/// </summary>
[TestClass]
public class MLNetInternalsTests
{
    public sealed class Row { public float X { get; set; } }

    /// <summary>Looks the member up; a missing one fails the test with the shim's own message.</summary>
    static T Found<T>(Func<T> lookup) where T : MemberInfo
    {
        try { return lookup(); }
        catch (MissingMemberException e) { throw new AssertFailedException(e.Message, e); }
    }

    [TestMethod]
    public void TransformsCatalogEnvironment_IsFoundAndGivesTheContextsEnvironment()
    {
        Found(() => MLNetInternals.TransformsCatalogEnvironment);
        var ml = new MLContext(seed: 3);
        Assert.IsNotNull(MLNetInternals.EnvironmentOf(ml.Transforms));
    }

    [TestMethod]
    public void CancelableIsCanceled_IsFoundAndImplementedByHosts()
    {
        Found(() => MLNetInternals.CancelableIsCanceled);
        var host = ((IHostEnvironment)new MLContext()).Register("test");
        Assert.IsFalse(MLNetInternals.CancellationOf(host)());
    }

    [TestMethod]
    public void EnvironmentGpuDeviceId_IsFoundAndReadsMLContextGpuDeviceId()
    {
        Found(() => MLNetInternals.EnvironmentGpuDeviceId);
        var ml = new MLContext();
        Assert.IsNull(MLNetInternals.GpuSettings(MLNetInternals.EnvironmentOf(ml.Transforms)).GpuDeviceId);
        ml.GpuDeviceId = 3;
        Assert.AreEqual(3, MLNetInternals.GpuSettings(MLNetInternals.EnvironmentOf(ml.Transforms)).GpuDeviceId);
    }

    [TestMethod]
    public void EnvironmentFallbackToCpu_IsFoundAndReadsMLContextFallbackToCpu()
    {
        Found(() => MLNetInternals.EnvironmentFallbackToCpu);
        var ml = new MLContext { FallbackToCpu = false };
        Assert.IsFalse(MLNetInternals.GpuSettings(MLNetInternals.EnvironmentOf(ml.Transforms)).FallbackToCpu);
        ml.FallbackToCpu = true;
        Assert.IsTrue(MLNetInternals.GpuSettings(MLNetInternals.EnvironmentOf(ml.Transforms)).FallbackToCpu);
    }

    [TestMethod]
    public void CustomMappingTransformerConstructor_IsFoundAndBuildsAWorkingMapping()
    {
        Found(() => MLNetInternals.CustomMappingTransformerConstructor<ImageSeedInput, SeedOutput>());
        Found(() => MLNetInternals.CustomMappingTransformerConstructor<Row, SeedOutput>());
        var ml = new MLContext();
        var data = ml.Data.LoadFromEnumerable(new[] { new Row { X = 1 }, new Row { X = 2 } });
        var mapping = MLNetInternals.CustomMapping<Row, SeedOutput>(MLNetInternals.EnvironmentOf(ml.Transforms), (i, o) => o.Seed = 2 * i.X, contractName: null!);
        CollectionAssert.AreEqual(new[] { 2f, 4f }, mapping.Transform(data).GetColumn<float>(ScorerColumns.Seed).ToArray());
    }

    [TestMethod]
    public void SchemaShapeColumnConstructor_IsFoundAndAddsAScalarColumn()
    {
        Found(() => MLNetInternals.SchemaShapeColumnConstructor);
        var shape = MLNetInternals.WithScalarColumn(new SchemaShape([]), "X", TextDataViewType.Instance);
        var added = MLNetInternals.WithScalarColumn(shape, "Score", NumberDataViewType.Single);
        CollectionAssert.AreEquivalent(new[] { "X", "Score" }, added.Select(c => c.Name).ToArray());
        var column = added.Single(c => c.Name == "Score");
        Assert.AreEqual(SchemaShape.Column.VectorKind.Scalar, column.Kind);
        Assert.AreEqual(NumberDataViewType.Single, column.ItemType);
        Assert.IsFalse(column.IsKey);
    }

    [TestMethod]
    public void TransformerChainScopes_IsFoundAndGivesEachPartsScope()
    {
        Found(() => MLNetInternals.TransformerChainScopes);
        var ml = new MLContext();
        var data = ml.Data.LoadFromEnumerable(new[] { new Row() });
        var a = ml.Transforms.CopyColumns("A", "X").Fit(data);
        var b = ml.Transforms.CopyColumns("B", "X").Fit(data);
        var chain = new TransformerChain<ITransformer>([a, b], [TransformerScope.Training, TransformerScope.Scoring]);
        CollectionAssert.AreEqual(new[] { TransformerScope.Training, TransformerScope.Scoring }, MLNetInternals.ScopesOf(chain));
    }

    /// <summary>The list the shim keeps names every member it looks up, and every one resolves.</summary>
    [TestMethod]
    public void Members_ListsEveryLookupOfTheShim()
    {
        var lookups = typeof(MLNetInternals).GetMembers(BindingFlags.Public | BindingFlags.Static)
            .Where(m => m is PropertyInfo { PropertyType: var t } && typeof(MemberInfo).IsAssignableFrom(t)
                        || m is MethodInfo { ReturnType: var r, IsSpecialName: false } && typeof(MemberInfo).IsAssignableFrom(r))
            .Select(m => m.Name).Order(StringComparer.Ordinal).ToList();
        CollectionAssert.AreEqual(lookups, MLNetInternals.Members.Select(m => m.Name).Order(StringComparer.Ordinal).ToList());
        foreach (var (_, lookup) in MLNetInternals.Members) Found(lookup);
    }

    /// <summary>No other source file of HfDiff.MLNet reflects over ML.NET: the shim stays the one place to look.</summary>
    [TestMethod]
    public void Sources_UseReflectionOnlyInTheShim()
    {
        var root = TestPaths.RepositoryRoot() ?? throw new AssertFailedException("repository root not found");
        var src = Path.Combine(root, "src", "HfDiff.MLNet");
        var pattern = new Regex(@"\b(BindingFlags|GetField|GetFields|GetProperty|GetProperties|GetMethod|GetMethods|GetConstructor|GetConstructors|GetInterfaces|GetMember|InvokeMember|MakeGenericType)\b");
        var offenders = Directory.GetFiles(src, "*.cs", SearchOption.AllDirectories)
            .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}") && Path.GetFileName(f) != "MLNetInternals.cs")
            .Where(f => pattern.IsMatch(File.ReadAllText(f)))
            .Select(f => Path.GetRelativePath(root, f)).ToList();
        Assert.IsEmpty(offenders, "reflection outside Common/MLNetInternals.cs: " + string.Join(", ", offenders));
    }
}
