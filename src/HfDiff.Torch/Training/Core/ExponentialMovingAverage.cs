// EMA of a model's state dict as the official trainers keep it.
// Sources: wyf0912/SinSR @ f1735490, trainer.py (TrainerDifIR.update_ema_model);
//          zsyOAOA/ResShift @ 3ce1d81e, trainer.py (TrainerBase.build_model ema_ignore_keys, TrainerDifIR.build_model, update_ema_model).
using TorchSharp;
using static TorchSharp.torch;

namespace HfDiff.Torch.Training.Core;

/// <summary>
/// The EMA state dict: starts as a copy of the model's state dict (parameters and persistent buffers, official key
/// names) and after each optimizer step becomes <c>ema = ema · rate + value · (1 − rate)</c> (in place, as
/// <c>mul_(rate).add_(value, alpha=1−rate)</c>), except for the keys <see cref="EmaKeyRule"/> excludes or copies.
/// Owns its tensors.
/// </summary>
public sealed class ExponentialMovingAverage : IDisposable
{
    readonly Dictionary<string, Tensor> _state = new(StringComparer.Ordinal);

    public ExponentialMovingAverage(nn.Module model, double rate, EmaKeyRule rule)
    {
        ArgumentNullException.ThrowIfNull(model);
        if (!(rate >= 0 && rate <= 1)) throw new ArgumentOutOfRangeException(nameof(rate), rate, $"rate must be in [0, 1]; got {rate}.");
        Rate = rate;
        Rule = rule;
        using var _ = no_grad();
        foreach (var (key, value) in model.state_dict()) _state[key] = value.detach().clone();
    }

    public double Rate { get; }
    public EmaKeyRule Rule { get; }

    /// <summary>The EMA values by state-dict key (live; do not dispose).</summary>
    public IReadOnlyDictionary<string, Tensor> State => _state;

    /// <summary>True when the rule copies the model's value into the EMA instead of averaging it.</summary>
    public bool Copies(string key) => Rule == EmaKeyRule.ResShift
        && (key.Contains("relative_position_index", StringComparison.Ordinal) || key.Contains("running_", StringComparison.Ordinal)
            || key.Contains("num_batches_tracked", StringComparison.Ordinal));

    /// <summary>True when the rule leaves the key at its initial value.</summary>
    public bool Keeps(string key) => Rule == EmaKeyRule.SinSr && key.Contains("relative_position_index", StringComparison.Ordinal);

    /// <summary>One EMA update from the model's current state dict (after the optimizer step).</summary>
    public void Update(nn.Module model)
    {
        ArgumentNullException.ThrowIfNull(model);
        using var _ = no_grad();
        // Explicit scalars held for the whole loop: an implicit double -> Scalar temporary can be finalized by a garbage
        // collection while libtorch still reads it (docs/TORCHSHARP-SCALAR-RACE.md); this loop made two per key and was
        // where a CLI training run stopped with "Unknown scalar type" (mul_, 2026-12-03).
        using var rate = Rate.ToScalar();
        using var oneMinusRate = (1 - Rate).ToScalar();
        var source = model.state_dict();
        foreach (var (key, ema) in _state)
        {
            if (!source.TryGetValue(key, out var value))
                throw new InvalidOperationException($"EMA key '{key}' is not in the model's state dict.");
            if (Keeps(key)) continue;
            if (Copies(key)) { ema.copy_(value); continue; }
            ema.mul_(rate).add_(value, alpha: oneMinusRate);   // under no_grad: value needs no detach
        }
    }

    /// <summary>Overwrites the EMA with <paramref name="values"/> (same keys and shapes; used when resuming).</summary>
    public void Load(IReadOnlyDictionary<string, Tensor> values, string source)
    {
        var missing = _state.Keys.Where(k => !values.ContainsKey(k)).ToList();
        var unexpected = values.Keys.Where(k => !_state.ContainsKey(k)).ToList();
        if (missing.Count > 0 || unexpected.Count > 0)
            throw new Weights.CheckpointFormatException(
                $"{source}: EMA keys do not match the model (missing: {string.Join(", ", missing.Take(5))}; unexpected: {string.Join(", ", unexpected.Take(5))}).");
        using var _ = no_grad();
        foreach (var (key, ema) in _state)
        {
            var v = values[key];
            if (!v.shape.SequenceEqual(ema.shape))
                throw new Weights.CheckpointFormatException($"{source}: EMA '{key}' has shape [{string.Join(",", v.shape)}], the model [{string.Join(",", ema.shape)}].");
            ema.copy_(v);
        }
    }

    public void Dispose()
    {
        foreach (var t in _state.Values) t.Dispose();
        _state.Clear();
    }
}
