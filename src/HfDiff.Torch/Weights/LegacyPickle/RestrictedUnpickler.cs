using System.Collections;
using System.Numerics;
using System.Text;
using static TorchSharp.torch;

namespace HfDiff.Torch.Weights.LegacyPickle;

/// <summary>
/// A pickle virtual machine for the subset that PyTorch's legacy <c>torch.save</c> writes (protocol 2, plus the few
/// protocol 0/3/4 opcodes older or newer writers emit for the same data). It builds only dicts/OrderedDicts, lists,
/// tuples, ints, floats, strings, bytes, bools, None and tensors (<c>torch._utils._rebuild_tensor_v2</c> over
/// persistent-id storages). Any other <c>GLOBAL</c> is refused before anything is constructed, so a checkpoint cannot
/// run code the way <c>pickle.load</c> would let it.
/// </summary>
internal sealed class RestrictedUnpickler
{
    static readonly Dictionary<string, (ScalarType DType, int Size)> StorageTypes = new(StringComparer.Ordinal)
    {
        ["FloatStorage"] = (ScalarType.Float32, 4), ["DoubleStorage"] = (ScalarType.Float64, 8),
        ["HalfStorage"] = (ScalarType.Float16, 2), ["BFloat16Storage"] = (ScalarType.BFloat16, 2),
        ["LongStorage"] = (ScalarType.Int64, 8), ["IntStorage"] = (ScalarType.Int32, 4),
        ["ShortStorage"] = (ScalarType.Int16, 2), ["CharStorage"] = (ScalarType.Int8, 1),
        ["ByteStorage"] = (ScalarType.Byte, 1), ["BoolStorage"] = (ScalarType.Bool, 1),
    };

    static readonly HashSet<string> AllowedCallables = new(StringComparer.Ordinal)
    {
        "collections.OrderedDict", "torch._utils._rebuild_tensor_v2", "torch._utils._rebuild_tensor", "torch._utils._rebuild_parameter",
    };

    static readonly object Mark = new();

    readonly BinaryReader _reader;
    readonly string _path;
    readonly Dictionary<string, LegacyStorageRef> _storages;
    readonly List<object?> _stack = [];
    readonly Stack<int> _marks = new();
    readonly Dictionary<long, object?> _memo = [];

    /// <param name="storages">Root storages seen so far, by key (shared across the pickles of one file).</param>
    public RestrictedUnpickler(BinaryReader reader, string path, Dictionary<string, LegacyStorageRef> storages)
    {
        _reader = reader;
        _path = path;
        _storages = storages;
    }

    CheckpointFormatException Error(string what) => new($"'{_path}': {what}");

    /// <summary>Reads one pickle (up to and including its STOP opcode) and returns its value.</summary>
    public object? Load()
    {
        _stack.Clear(); _marks.Clear(); _memo.Clear();
        while (true)
        {
            long at = _reader.BaseStream.Position;
            byte op = _reader.ReadByte();
            switch (op)
            {
                case 0x80: _reader.ReadByte(); break;                                   // PROTO
                case 0x95: _reader.ReadUInt64(); break;                                 // FRAME (protocol 4): framing only
                case (byte)'.': return Pop();                                            // STOP
                case (byte)'(': _marks.Push(_stack.Count); break;                        // MARK
                case (byte)'}': Push(new Hashtable()); break;                            // EMPTY_DICT
                case (byte)']': Push(new List<object?>()); break;                        // EMPTY_LIST
                case (byte)')': Push(Array.Empty<object?>()); break;                     // EMPTY_TUPLE
                case (byte)'t': Push(PopToMark().ToArray()); break;                      // TUPLE
                case 0x85: { var a = Pop(); Push(new[] { a }); break; }                  // TUPLE1
                case 0x86: { var b = Pop(); var a = Pop(); Push(new[] { a, b }); break; }          // TUPLE2
                case 0x87: { var c = Pop(); var b = Pop(); var a = Pop(); Push(new[] { a, b, c }); break; } // TUPLE3
                case (byte)'l': Push(PopToMark()); break;                                // LIST
                case (byte)'d': Push(ToDict(PopToMark())); break;                        // DICT
                case (byte)'J': Push((long)_reader.ReadInt32()); break;                  // BININT
                case (byte)'K': Push((long)_reader.ReadByte()); break;                   // BININT1
                case (byte)'M': Push((long)_reader.ReadUInt16()); break;                 // BININT2
                case 0x8a: Push(ReadLong(_reader.ReadByte())); break;                    // LONG1
                case 0x8b: Push(ReadLong(_reader.ReadInt32())); break;                   // LONG4
                case (byte)'I': Push(ParseIntLine(ReadLine())); break;                   // INT (protocol 0; I00/I01 = bools)
                case (byte)'G': Push(BitConverter.Int64BitsToDouble(BinaryPrimitivesReadBigEndian())); break; // BINFLOAT
                case (byte)'F': Push(double.Parse(ReadLine(), System.Globalization.CultureInfo.InvariantCulture)); break; // FLOAT
                case (byte)'N': Push(null); break;                                       // NONE
                case 0x88: Push(true); break;                                            // NEWTRUE
                case 0x89: Push(false); break;                                           // NEWFALSE
                case (byte)'U': Push(ReadString(_reader.ReadByte())); break;             // SHORT_BINSTRING (py2 str)
                case (byte)'T': Push(ReadString(ReadLength())); break;                   // BINSTRING
                case (byte)'X': Push(ReadString(ReadLength())); break;                   // BINUNICODE
                case 0x8c: Push(ReadString(_reader.ReadByte())); break;                  // SHORT_BINUNICODE
                case (byte)'C': Push(ReadExactly(_reader.ReadByte())); break;            // SHORT_BINBYTES
                case (byte)'B': Push(ReadExactly(ReadLength())); break;                  // BINBYTES
                case (byte)'q': _memo[_reader.ReadByte()] = Peek(); break;               // BINPUT
                case (byte)'r': _memo[_reader.ReadUInt32()] = Peek(); break;             // LONG_BINPUT
                case 0x94: _memo[_memo.Count] = Peek(); break;                           // MEMOIZE
                case (byte)'h': Push(MemoGet(_reader.ReadByte())); break;                // BINGET
                case (byte)'j': Push(MemoGet(_reader.ReadUInt32())); break;              // LONG_BINGET
                case (byte)'a': { var v = Pop(); AsList(Peek()).Add(v); break; }         // APPEND
                case (byte)'e': { var items = PopToMark(); AsList(Peek()).AddRange(items); break; } // APPENDS
                case (byte)'s': { var v = Pop(); var k = Pop(); SetItem(Peek(), k, v); break; }    // SETITEM
                case (byte)'u':                                                                    // SETITEMS
                {
                    var items = PopToMark();
                    var dict = Peek();
                    for (int i = 0; i + 1 < items.Count; i += 2) SetItem(dict, items[i], items[i + 1]);
                    break;
                }
                case (byte)'c': Push(ResolveGlobal(ReadLine(), ReadLine())); break;      // GLOBAL
                case (byte)'R': { var args = Pop(); var fn = Pop(); Push(Reduce(fn, args)); break; } // REDUCE
                case (byte)'b': { var state = Pop(); Build(Peek(), state); break; }      // BUILD
                case (byte)'Q': Push(PersistentLoad(Pop())); break;                      // BINPERSID
                default:
                    throw Error($"unsupported pickle opcode 0x{op:x2} at byte {at}; only the subset written by torch.save (legacy format) is read.");
            }
        }
    }

    void Push(object? value) => _stack.Add(value);

    object? Pop()
    {
        if (_stack.Count == 0 || (_marks.Count > 0 && _marks.Peek() == _stack.Count)) throw Error("malformed pickle (stack underflow).");
        var v = _stack[^1];
        _stack.RemoveAt(_stack.Count - 1);
        return v;
    }

    object? Peek() => _stack.Count > 0 ? _stack[^1] : throw Error("malformed pickle (stack underflow).");

    List<object?> PopToMark()
    {
        if (_marks.Count == 0) throw Error("malformed pickle (no MARK).");
        int start = _marks.Pop();
        var items = _stack.GetRange(start, _stack.Count - start);
        _stack.RemoveRange(start, _stack.Count - start);
        return items;
    }

    object? MemoGet(long index) => _memo.TryGetValue(index, out var v) ? v : throw Error($"malformed pickle (memo {index} read before it was written).");

    int ReadLength()
    {
        int n = _reader.ReadInt32();
        if (n < 0 || n > _reader.BaseStream.Length - _reader.BaseStream.Position) throw new EndOfStreamException();
        return n;
    }

    byte[] ReadExactly(int n)
    {
        var bytes = _reader.ReadBytes(n);
        if (bytes.Length != n) throw new EndOfStreamException();
        return bytes;
    }

    string ReadString(int n) => Encoding.UTF8.GetString(ReadExactly(n));

    string ReadLine()
    {
        var sb = new StringBuilder();
        for (byte b = _reader.ReadByte(); b != (byte)'\n'; b = _reader.ReadByte())
        {
            if (sb.Length > 1024) throw Error("malformed pickle (text line longer than 1024 bytes).");
            sb.Append((char)b);
        }
        return sb.ToString();
    }

    long BinaryPrimitivesReadBigEndian() => System.Buffers.Binary.BinaryPrimitives.ReadInt64BigEndian(ReadExactly(8));

    object ReadLong(int n)
    {
        if (n < 0 || n > 64) throw Error($"unsupported LONG of {n} bytes.");
        var value = new BigInteger(ReadExactly(n), isUnsigned: false, isBigEndian: false);
        // Small values as long (what every size/offset needs); only the magic number stays a BigInteger.
        return value >= long.MinValue && value <= long.MaxValue ? (object)(long)value : value;
    }

    object ParseIntLine(string line) => line switch
    {
        "00" => false,
        "01" => true,
        _ => long.TryParse(line, out var v) ? v : throw Error($"malformed INT '{line}'."),
    };

    static Hashtable ToDict(List<object?> items)
    {
        var h = new Hashtable();
        for (int i = 0; i + 1 < items.Count; i += 2) h[items[i] ?? "None"] = items[i + 1];
        return h;
    }

    List<object?> AsList(object? target) => target as List<object?> ?? throw Error($"malformed pickle (APPEND to {Describe(target)}).");

    void SetItem(object? target, object? key, object? value)
    {
        if (target is not Hashtable h) throw Error($"malformed pickle (SETITEM on {Describe(target)}).");
        if (key is null) throw Error("dictionary key None is not supported.");
        h[key] = value;
    }

    object ResolveGlobal(string module, string name)
    {
        string full = $"{module}.{name}";
        if (module == "torch" && StorageTypes.ContainsKey(name)) return new PickleGlobal(module, name);
        if (AllowedCallables.Contains(full)) return new PickleGlobal(module, name);
        throw Error($"refuses to load the class or function '{full}': a legacy PyTorch checkpoint may only hold tensors, " +
                    "(Ordered)dicts, lists, tuples, numbers, strings, bools and None; other objects are never constructed.");
    }

    object? Reduce(object? callable, object? args)
    {
        if (callable is not PickleGlobal g) throw Error($"malformed pickle (REDUCE on {Describe(callable)}).");
        if (args is not object?[] a) throw Error($"malformed pickle (arguments of {g.FullName} are not a tuple).");
        switch (g.FullName)
        {
            case "collections.OrderedDict":
                var dict = new Hashtable();
                if (a.Length == 1 && a[0] is List<object?> pairs)
                    foreach (var p in pairs)
                    {
                        var pair = p as object?[] ?? (p as List<object?>)?.ToArray();
                        if (pair is not { Length: 2 }) throw Error("malformed OrderedDict item (not a key/value pair).");
                        SetItem(dict, pair[0], pair[1]);
                    }
                else if (a.Length != 0) throw Error("unsupported OrderedDict constructor arguments.");
                return dict;
            case "torch._utils._rebuild_tensor_v2":
            case "torch._utils._rebuild_tensor":
                if (a.Length < 4) throw Error($"{g.FullName} expects (storage, offset, size, stride, …); got {a.Length} arguments.");
                if (a[0] is not LegacyStorageRef storage) throw Error($"{g.FullName}: first argument is {Describe(a[0])}, not a storage.");
                return new PendingTensor(storage, AsLong(a[1], "storage_offset"), AsLongs(a[2], "size"), AsLongs(a[3], "stride"));
            case "torch._utils._rebuild_parameter":
                if (a.Length < 1 || a[0] is not PendingTensor t) throw Error("_rebuild_parameter: first argument is not a tensor.");
                return t;
            default:
                throw Error($"refuses to call '{g.FullName}'.");
        }
    }

    void Build(object? target, object? state)
    {
        // torch.save(state_dict) BUILDs the OrderedDict with {'_metadata': …} (module versions): not weights, dropped.
        if (target is Hashtable && state is Hashtable or null) return;
        throw Error($"refuses to set the state of {Describe(target)} (BUILD).");
    }

    object PersistentLoad(object? pid)
    {
        if (pid is not object?[] t || t.Length < 5 || t[0] is not "storage")
            throw Error($"unsupported persistent id {Describe(pid)}; expected ('storage', type, key, location, size, …).");
        if (t[1] is not PickleGlobal { Module: "torch" } type || !StorageTypes.TryGetValue(type.Name, out var info))
            throw Error($"unsupported storage type {Describe(t[1])}.");
        if (t[2] is not string key) throw Error("storage key is not a string.");
        string location = t[3] as string ?? "";
        long size = AsLong(t[4], "storage size");
        if (size < 0) throw Error($"storage '{key}' has negative size {size}.");
        // The storage bytes follow the pickles in this file: a size the file cannot hold is refused before any allocation.
        long fileBytes = _reader.BaseStream.Length;
        if (size > fileBytes / info.Size)
            throw Error($"storage '{key}' declares {size} elements of {info.Size} bytes, more than the file's {fileBytes} bytes.");
        if (_storages.TryGetValue(key, out var known))
        {
            if (known.DType != info.DType || known.RootSize != size) throw Error($"storage '{key}' is declared twice with different types or sizes.");
        }
        else _storages[key] = known = new LegacyStorageRef(key, info.DType, info.Size, size, 0, size, location);

        object? view = t.Length > 5 ? t[5] : null;
        if (view is null) return known;
        // view_metadata = (view_key, offset, view_size), in elements of the root storage.
        if (view is not object?[] { Length: 3 } v) throw Error($"storage '{key}': malformed view metadata.");
        long offset = AsLong(v[1], "view offset"), viewSize = AsLong(v[2], "view size");
        if (offset < 0 || viewSize < 0 || offset > size || viewSize > size - offset)
            throw Error($"storage '{key}': view of {viewSize} elements at {offset} exceeds its {size} elements.");
        return known with { Offset = offset, Size = viewSize };
    }

    long AsLong(object? value, string what) => value switch
    {
        long l => l,
        bool b => b ? 1 : 0,
        _ => throw Error($"{what} is {Describe(value)}, not an integer."),
    };

    long[] AsLongs(object? value, string what) => value switch
    {
        object?[] a => a.Select(x => AsLong(x, what)).ToArray(),
        List<object?> l => l.Select(x => AsLong(x, what)).ToArray(),
        _ => throw Error($"{what} is {Describe(value)}, not a tuple of integers."),
    };

    internal static string Describe(object? v) => v switch
    {
        null => "None",
        PickleGlobal g => $"'{g.FullName}'",
        string s => $"'{s}'",
        object?[] a => $"a tuple of {a.Length}",
        List<object?> l => $"a list of {l.Count}",
        Hashtable => "a dict",
        _ => v.GetType().Name,
    };
}
