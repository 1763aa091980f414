namespace HfDiff.MLNet.Common;

/// <summary>
/// Per-row mappings build their worker (metric, resolver, degrader) once per configuration string and reuse it for every
/// row; the gate keeps one row at a time on a worker (torch modules are not re-entrant).
/// </summary>
internal sealed class PerConfigCache<TConfig, TWorker>(Func<string, TConfig> decode, Func<TConfig, TWorker> create)
{
    readonly System.Collections.Concurrent.ConcurrentDictionary<string, Lazy<(TWorker Worker, TConfig Config, object Gate)>> _entries = new();

    public (TWorker Worker, TConfig Config, object Gate) Get(string encoded) =>
        _entries.GetOrAdd(encoded, e => new Lazy<(TWorker, TConfig, object)>(() =>
        {
            var config = decode(e);
            return (create(config), config, new object());
        })).Value;
}
