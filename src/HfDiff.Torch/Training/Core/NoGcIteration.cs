using System.Runtime;

namespace HfDiff.Torch.Training.Core;

/// <summary>
/// Keeps the .NET garbage collector out of one training iteration (<see cref="GC.TryStartNoGCRegion(long)"/>), so no
/// collection can finalize a TorchSharp temporary <c>Scalar</c> while libtorch still reads it (TorchSharp 0.107's
/// implicit scalars, in our code and inside its AdamW; docs/TORCHSHARP-SCALAR-RACE.md). Collections then happen at the
/// start of the next iteration, on the training thread, when no native call is in flight.
/// <para>
/// Best effort: when the iteration allocates more managed memory than the budget, or another part of the process holds a
/// no-GC region, the runtime collects as usual and the iteration is as exposed as before.
/// </para>
/// </summary>
public sealed class NoGcIteration : IDisposable
{
    /// <summary>Managed allocation allowed inside the region (tensor wrappers are ~100 bytes; an iteration of the
    /// full-size student makes tens of thousands).</summary>
    public const long DefaultBudgetBytes = 64L << 20;

    readonly bool _started;
    bool _disposed;

    NoGcIteration(bool started) => _started = started;

    /// <summary>Whether the region was entered (false: the runtime refused it and the iteration runs as usual).</summary>
    public bool Started => _started;

    /// <summary>After <see cref="Dispose"/>: whether the region was entered and lasted to the end (no collection inside).</summary>
    public bool Held { get; private set; }

    /// <summary>Enters a no-GC region of <paramref name="budgetBytes"/>; disposing the result leaves it.</summary>
    public static NoGcIteration Enter(long budgetBytes = DefaultBudgetBytes)
    {
        if (GCSettings.LatencyMode == GCLatencyMode.NoGCRegion) return new NoGcIteration(false);
        try { return new NoGcIteration(GC.TryStartNoGCRegion(budgetBytes)); }
        catch (Exception e) when (e is InvalidOperationException or ArgumentOutOfRangeException) { return new NoGcIteration(false); }
    }

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        if (!_started || GCSettings.LatencyMode != GCLatencyMode.NoGCRegion) return;   // ended early by a collection
        try { GC.EndNoGCRegion(); Held = true; }
        catch (InvalidOperationException) { }   // the budget was exceeded or a collection was induced: already over
    }
}
