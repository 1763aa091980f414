using TorchSharp;
using static TorchSharp.torch;

namespace HfDiff.Tests.Common;

/// <summary>The named tensors of a fixture's safetensors file (CPU), disposed with the object.</summary>
public sealed class FixtureTensors : IDisposable
{
    readonly Dictionary<string, Tensor> _tensors;
    public string Path { get; }

    public FixtureTensors(string path)
    {
        Path = path;
        if (!File.Exists(path)) Assert.Fail($"Fixture file '{path}' does not exist.");
        _tensors = TorchSharp.PyBridge.Safetensors.LoadStateDict(path, null);
        // A fixture is often first touched inside a test's DisposeScope; it must outlive that scope.
        foreach (var t in _tensors.Values) t.DetachFromDisposeScope();
    }

    public IEnumerable<string> Names => _tensors.Keys;
    public bool Contains(string name) => _tensors.ContainsKey(name);

    public Tensor this[string name] =>
        _tensors.TryGetValue(name, out var t) ? t : throw new AssertFailedException($"'{name}' is not in {Path}.");

    /// <summary>Names that start with <paramref name="prefix"/>, sorted.</summary>
    public IReadOnlyList<string> WithPrefix(string prefix) =>
        _tensors.Keys.Where(k => k.StartsWith(prefix, StringComparison.Ordinal)).OrderBy(k => k, StringComparer.Ordinal).ToList();

    public void Dispose() { foreach (var t in _tensors.Values) t.Dispose(); }
}
