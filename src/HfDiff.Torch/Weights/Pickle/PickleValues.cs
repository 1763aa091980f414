namespace HfDiff.Torch.Weights.Pickle;

// What PickleReader builds besides scalars (long, BigInteger, double, bool, string, byte[], null): lists are
// List<object?>, tuples object?[] (so a tuple and a list stay distinguishable), dicts PickleDict, and the objects below.

/// <summary>A <c>module.name</c> reference from a pickle (GLOBAL / STACK_GLOBAL). Never resolved to code.</summary>
public sealed record PickleGlobal(string Module, string Name)
{
    public override string ToString() => $"{Module}.{Name}";
}

/// <summary>
/// An object the pickle would construct (NEWOBJ / REDUCE of a class we do not interpret): its class reference,
/// constructor arguments and the state set by BUILD. Nothing is instantiated; the graph is data only.
/// </summary>
public sealed class PickleObject(PickleGlobal type, object?[] args)
{
    public PickleGlobal Type { get; } = type;
    public object?[] Args { get; } = args;
    public object? State { get; set; }
    public override string ToString() => $"<{Type}>";
}

/// <summary>A pickled dict (also <c>collections.OrderedDict</c>), in insertion order. <c>None</c> is a key like any other.</summary>
public sealed class PickleDict
{
    // Dictionary<,> takes no null key: None is stored under this stand-in and given back as null.
    static readonly object NoneKey = new();

    readonly List<KeyValuePair<object?, object?>> _items = [];
    readonly Dictionary<object, int> _index = [];

    public IReadOnlyList<KeyValuePair<object?, object?>> Items => _items;
    public int Count => _items.Count;

    public void Set(object? key, object? value)
    {
        if (_index.TryGetValue(key ?? NoneKey, out var i)) _items[i] = new(key, value);
        else { _index[key ?? NoneKey] = _items.Count; _items.Add(new(key, value)); }
    }

    public bool TryGet(object? key, out object? value)
    {
        if (_index.TryGetValue(key ?? NoneKey, out var i)) { value = _items[i].Value; return true; }
        value = null;
        return false;
    }
}
