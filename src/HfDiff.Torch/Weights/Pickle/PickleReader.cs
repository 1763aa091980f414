using System.Buffers.Binary;
using System.Globalization;
using System.Numerics;
using System.Text;

namespace HfDiff.Torch.Weights.Pickle;

/// <summary>
/// The one pickle reader of every checkpoint format: zip <c>torch.save</c> files, TorchScript archives and legacy
/// (pre-1.6) <c>torch.save</c> files. A data-only virtual machine for protocols 0–5 (the opcodes <c>torch.save</c> and
/// TorchScript's C++ pickler emit): classes are never looked up or run. GLOBAL gives a <see cref="PickleGlobal"/>
/// checked against <see cref="PickleAllowList"/>; REDUCE / NEWOBJ interpret the tensor rebuilds, OrderedDict and
/// torch.Size and turn every other call into an inert <see cref="PickleObject"/> (BUILD stores its state).
/// </summary>
/// <remarks>
/// Razorvine.Pickle (TorchSharp.PyBridge's reader) was measured as the base and not used: its globals resolve through a
/// process-wide static table with no per-reader hook, so a global cannot be refused when it is read (os.system and
/// __main__.Evil() load as ClassDicts, builtins.ValueError and decimal.Decimal are constructed), and PyBridge's own
/// first use re-registers the tensor rebuild and OrderedDict entries of that table over anyone else's.
/// <para>Errors: <see cref="CheckpointFormatException"/> (named by the source) for refusals and malformed structure;
/// <see cref="EndOfStreamException"/> when the pickle is cut short and <see cref="FormatException"/> /
/// <see cref="OverflowException"/> for malformed numbers, which the format reader reports with its own context
/// (which entry or which of several pickles).</para>
/// </remarks>
public sealed class PickleReader
{
    /// <summary>Longest text line (protocol 0 opcodes): a file without newlines must not become one huge string.</summary>
    const int MaxLineBytes = 64 << 10;
    /// <summary>Largest LONG1/LONG4 integer; bigger ones are not checkpoint data and cost quadratic time to print.</summary>
    const int MaxLongBytes = 1024;

    readonly Stream _in;
    readonly string _source;
    readonly UnlistedGlobals _unlisted;
    readonly List<object?> _stack = [];
    readonly Stack<int> _marks = new();
    readonly Dictionary<long, object?> _memo = [];
    readonly byte[] _number = new byte[8];
    byte[] _scratch = new byte[128];   // text lines and strings, decoded before the next read

    /// <param name="input">A seekable stream, read from its current position; after <see cref="Load"/> it stands right
    /// after the STOP opcode (nothing is read ahead, so a legacy file's next pickle or storage bytes follow).</param>
    /// <param name="source">Names the file (and entry) in every message, e.g. <c>'x.pth' data.pkl</c>.</param>
    /// <param name="unlisted">Refuse globals that are not on <see cref="PickleAllowList"/>, or keep them as data.</param>
    public PickleReader(Stream input, string source, UnlistedGlobals unlisted)
    {
        _in = input;
        _source = source;
        _unlisted = unlisted;
    }

    /// <summary>Resolves a persistent id (BINPERSID / PERSID), i.e. the format's storage reference.</summary>
    public required Func<object?, object?> PersistentLoad { get; init; }

    /// <summary><c>torch._utils._rebuild_tensor(_v2)(storage, offset, size, stride, …)</c>: the format builds the tensor.</summary>
    public required Func<object?[], object?> RebuildTensor { get; init; }

    CheckpointFormatException Malformed(string what) => new($"{_source}: malformed pickle ({what} at byte {_in.Position}).");

    /// <summary>Reads one pickle, up to and including its STOP opcode, and returns its value.</summary>
    public object? Load()
    {
        _stack.Clear(); _marks.Clear(); _memo.Clear();
        while (true)
        {
            long at = _in.Position;
            byte op = ReadByte();
            switch (op)
            {
                case 0x80: ReadByte(); break;                                                       // PROTO
                case 0x95: ReadNumber(8); break;                                                    // FRAME: framing only
                case (byte)'.': return Pop();                                                       // STOP
                case (byte)'(': _marks.Push(_stack.Count); break;                                   // MARK
                case (byte)'0': Pop(); break;                                                       // POP
                case (byte)'1': PopToMark(); break;                                                 // POP_MARK
                case (byte)'2': Push(Peek()); break;                                                // DUP
                case (byte)'N': Push(null); break;                                                  // NONE
                case 0x88: Push(true); break;                                                       // NEWTRUE
                case 0x89: Push(false); break;                                                      // NEWFALSE
                case (byte)'J': Push((long)(int)ReadNumber(4)); break;                              // BININT
                case (byte)'K': Push((long)ReadByte()); break;                                      // BININT1
                case (byte)'M': Push((long)(ushort)ReadNumber(2)); break;                           // BININT2
                case 0x8a: Push(ReadLong(ReadByte())); break;                                       // LONG1
                case 0x8b: Push(ReadLong((int)ReadNumber(4))); break;                               // LONG4
                case (byte)'I': Push(ParseInt(ReadLine())); break;                                  // INT (text; I00/I01 are bools)
                case (byte)'L': Push(long.Parse(ReadLine().TrimEnd('L'), CultureInfo.InvariantCulture)); break; // LONG (text)
                case (byte)'G': Push(BitConverter.Int64BitsToDouble(BinaryPrimitives.ReverseEndianness((long)ReadNumber(8)))); break; // BINFLOAT (big-endian)
                case (byte)'F': Push(double.Parse(ReadLine(), CultureInfo.InvariantCulture)); break; // FLOAT (text)
                case (byte)'X': Push(ReadString((uint)ReadNumber(4))); break;                       // BINUNICODE
                case 0x8c: Push(ReadString(ReadByte())); break;                                     // SHORT_BINUNICODE
                case 0x8d: Push(ReadString(ReadNumber(8))); break;                                  // BINUNICODE8
                case (byte)'V': Push(ReadLine()); break;                                            // UNICODE (raw-unicode-escape; ASCII here)
                // Python 2 str: torch.load decodes it as UTF-8 by default.
                case (byte)'T': Push(ReadString((uint)ReadNumber(4))); break;                       // BINSTRING
                case (byte)'U': Push(ReadString(ReadByte())); break;                                // SHORT_BINSTRING
                case (byte)'S': Push(ReadLine().Trim('\'', '"')); break;                            // STRING (text)
                case (byte)'B': Push(ReadBytes((uint)ReadNumber(4))); break;                        // BINBYTES
                case (byte)'C': Push(ReadBytes(ReadByte())); break;                                 // SHORT_BINBYTES
                case 0x8e: Push(ReadBytes(ReadNumber(8))); break;                                   // BINBYTES8
                case (byte)')': Push(Array.Empty<object?>()); break;                                // EMPTY_TUPLE
                case (byte)'t': Push(PopToMark().ToArray()); break;                                 // TUPLE
                case 0x85: { var a = Pop(); Push(new[] { a }); break; }                             // TUPLE1
                case 0x86: { var b = Pop(); var a = Pop(); Push(new[] { a, b }); break; }           // TUPLE2
                case 0x87: { var c = Pop(); var b = Pop(); var a = Pop(); Push(new[] { a, b, c }); break; } // TUPLE3
                case (byte)']': Push(new List<object?>()); break;                                   // EMPTY_LIST
                case (byte)'l': Push(PopToMark()); break;                                           // LIST
                case (byte)'a': { var v = Pop(); Append(Peek(), [v]); break; }                      // APPEND
                case (byte)'e': { var items = PopToMark(); Append(Peek(), items); break; }          // APPENDS
                case (byte)'}': Push(new PickleDict()); break;                                      // EMPTY_DICT
                case (byte)'d': { var d = new PickleDict(); SetItems(d, PopToMark()); Push(d); break; } // DICT
                case (byte)'s': { var v = Pop(); var k = Pop(); SetItems(Peek(), [k, v]); break; }  // SETITEM
                case (byte)'u': { var items = PopToMark(); SetItems(Peek(), items); break; }        // SETITEMS
                case 0x8f: Push(new List<object?>()); break;                                        // EMPTY_SET (as a list)
                case 0x90: { var items = PopToMark(); Append(Peek(), items); break; }               // ADDITEMS
                case 0x91: Push(PopToMark()); break;                                                // FROZENSET
                case (byte)'p': _memo[long.Parse(ReadLine(), CultureInfo.InvariantCulture)] = Peek(); break; // PUT
                case (byte)'q': _memo[ReadByte()] = Peek(); break;                                  // BINPUT
                case (byte)'r': _memo[(uint)ReadNumber(4)] = Peek(); break;                         // LONG_BINPUT
                case 0x94: _memo[_memo.Count] = Peek(); break;                                      // MEMOIZE
                case (byte)'g': Push(MemoGet(long.Parse(ReadLine(), CultureInfo.InvariantCulture))); break; // GET
                case (byte)'h': Push(MemoGet(ReadByte())); break;                                   // BINGET
                case (byte)'j': Push(MemoGet((uint)ReadNumber(4))); break;                          // LONG_BINGET
                case (byte)'c': { var module = ReadLine(); Push(Global(module, ReadLine())); break; }   // GLOBAL
                case 0x93:                                                                          // STACK_GLOBAL
                {
                    var name = Pop();
                    var module = Pop();
                    if (module is not string m || name is not string n) throw Malformed("STACK_GLOBAL of a name that is not a string");
                    Push(Global(m, n));
                    break;
                }
                case (byte)'R': { var args = Pop(); var f = Pop(); Push(Call(f, args)); break; }    // REDUCE
                case 0x81: { var args = Pop(); var cls = Pop(); Push(Call(cls, args)); break; }     // NEWOBJ
                case 0x92: { Pop(); var args = Pop(); var cls = Pop(); Push(Call(cls, args)); break; }  // NEWOBJ_EX (kwargs dropped)
                case (byte)'b': { var state = Pop(); Build(Peek(), state); break; }                 // BUILD
                case (byte)'Q': Push(PersistentLoad(Pop())); break;                                 // BINPERSID
                case (byte)'P': Push(PersistentLoad(ReadLine())); break;                            // PERSID
                default:
                    throw new CheckpointFormatException($"{_source}: unsupported pickle opcode 0x{op:x2} at byte {at}.");
            }
        }
    }

    void Push(object? value) => _stack.Add(value);

    // A MARK fences the stack: nothing below it may be popped until the mark is consumed (as in CPython).
    object? Pop()
    {
        if (_stack.Count == 0 || (_marks.Count > 0 && _marks.Peek() == _stack.Count)) throw Malformed("stack underflow");
        var v = _stack[^1];
        _stack.RemoveAt(_stack.Count - 1);
        return v;
    }

    object? Peek() => _stack.Count > 0 && (_marks.Count == 0 || _marks.Peek() < _stack.Count) ? _stack[^1] : throw Malformed("stack underflow");

    List<object?> PopToMark()
    {
        if (_marks.Count == 0) throw Malformed("no MARK");
        int start = _marks.Pop();
        var items = _stack.GetRange(start, _stack.Count - start);
        _stack.RemoveRange(start, _stack.Count - start);
        return items;
    }

    object? MemoGet(long index) => _memo.TryGetValue(index, out var v) ? v : throw Malformed($"memo {index} read before it was written");

    byte ReadByte()
    {
        int b = _in.ReadByte();
        return b >= 0 ? (byte)b : throw new EndOfStreamException();
    }

    /// <summary>A little-endian unsigned integer of <paramref name="size"/> bytes (callers cast for signed ones).</summary>
    ulong ReadNumber(int size)
    {
        _in.ReadExactly(_number, 0, size);
        ulong v = 0;
        for (int i = size - 1; i >= 0; i--) v = v << 8 | _number[i];
        return v;
    }

    // Lengths are checked against what is left of the stream before anything is allocated.
    int CheckLength(ulong n)
    {
        if (n > (ulong)(_in.Length - _in.Position)) throw new EndOfStreamException();
        if (n > (ulong)Array.MaxLength) throw Malformed($"string or bytes of {n} bytes");
        return (int)n;
    }

    byte[] ReadBytes(ulong n)
    {
        var bytes = new byte[CheckLength(n)];
        _in.ReadExactly(bytes);
        return bytes;
    }

    ReadOnlySpan<byte> ReadScratch(int n)
    {
        if (n > _scratch.Length) Array.Resize(ref _scratch, Math.Max(n, _scratch.Length * 2));
        _in.ReadExactly(_scratch, 0, n);
        return _scratch.AsSpan(0, n);
    }

    string ReadString(ulong n) => Encoding.UTF8.GetString(ReadScratch(CheckLength(n)));

    string ReadLine()
    {
        int n = 0;
        for (byte b = ReadByte(); b != (byte)'\n'; b = ReadByte())
        {
            if (n == MaxLineBytes) throw Malformed($"text line longer than {MaxLineBytes} bytes");
            if (n == _scratch.Length) Array.Resize(ref _scratch, _scratch.Length * 2);
            _scratch[n++] = b;
        }
        return Encoding.UTF8.GetString(_scratch, 0, n);
    }

    object ReadLong(int n)
    {
        if (n < 0 || n > MaxLongBytes) throw Malformed($"LONG of {n} bytes");
        var value = new BigInteger(ReadBytes((ulong)n), isUnsigned: false, isBigEndian: false);
        // Small values as long (what every size and offset needs); only e.g. the legacy magic number stays a BigInteger.
        return value >= long.MinValue && value <= long.MaxValue ? (object)(long)value : value;
    }

    static object ParseInt(string line) => line switch
    {
        "00" => false,
        "01" => true,
        _ => long.Parse(line, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture),
    };

    PickleGlobal Global(string module, string name)
    {
        var g = new PickleGlobal(module, name);
        if (_unlisted == UnlistedGlobals.Refuse && !PickleAllowList.Contains(g)) throw PickleAllowList.Refusal(_source, g);
        return g;
    }

    object? Call(object? callable, object? args)
    {
        if (args is not object?[] a) throw Malformed($"arguments of {Describe(callable)} are not a tuple");
        if (callable is not PickleGlobal g)
        {
            if (_unlisted == UnlistedGlobals.Refuse) throw Malformed($"a call of {Describe(callable)}, not of a class or function");
            return new PickleObject(new PickleGlobal("?", Describe(callable)), a);
        }
        switch ((g.Module, g.Name))
        {
            case ("collections", "OrderedDict"):
            case ("builtins", "dict"):
                return NewDict(g, a);
            case ("torch", "Size"):
                return a.Length > 0 ? a[0] : Array.Empty<object?>();
            case ("torch._utils", "_rebuild_tensor" or "_rebuild_tensor_v2"):
                return RebuildTensor(a);
            case ("torch._utils", "_rebuild_parameter" or "_rebuild_parameter_with_state"):
                return a.Length > 0 ? a[0] : throw Malformed($"{g} without a tensor");
            default:
                return new PickleObject(g, a);
        }
    }

    // OrderedDict(), OrderedDict(pairs) with a list or tuple of (key, value) pairs, or OrderedDict(dict).
    PickleDict NewDict(PickleGlobal g, object?[] a)
    {
        var dict = new PickleDict();
        if (a.Length == 0) return dict;
        if (a.Length > 1) throw Malformed($"{g} of {a.Length} arguments");
        switch (a[0])
        {
            case PickleDict d:
                foreach (var (k, v) in d.Items) dict.Set(k, v);
                break;
            case object?[] or List<object?>:
                foreach (var p in (IEnumerable<object?>)a[0]!)
                {
                    var pair = p as object?[] ?? (p as List<object?>)?.ToArray();
                    if (pair is not { Length: 2 }) throw Malformed($"{g} item that is not a key/value pair");
                    dict.Set(pair[0], pair[1]);
                }
                break;
            default:
                throw Malformed($"{g} of {Describe(a[0])}");
        }
        return dict;
    }

    void Append(object? target, List<object?> items)
    {
        switch (target)
        {
            case List<object?> list: list.AddRange(items); break;
            case PickleObject: break;   // list items of an uninterpreted object: its business, not ours
            default: throw Malformed($"APPEND to {Describe(target)}");
        }
    }

    void SetItems(object? target, List<object?> keysAndValues)
    {
        switch (target)
        {
            case PickleDict d:
                for (int i = 0; i + 1 < keysAndValues.Count; i += 2) d.Set(keysAndValues[i], keysAndValues[i + 1]);
                break;
            case PickleObject: break;   // dict items of an uninterpreted object
            default: throw Malformed($"SETITEM on {Describe(target)}");
        }
    }

    static void Build(object? target, object? state)
    {
        // Objects keep their state as data. Anything else is dropped: torch.save BUILDs each OrderedDict with
        // {'_metadata': …} (module versions), which Python sets as an attribute, not as dict items.
        if (target is PickleObject o) o.State = state;
    }

    /// <summary>A short description of a pickled value for messages.</summary>
    public static string Describe(object? v) => v switch
    {
        null => "None",
        PickleGlobal g => $"'{g}'",
        string s => $"'{(s.Length > 60 ? s[..60] + "…" : s)}'",
        object?[] a => $"a tuple of {a.Length}",
        List<object?> l => $"a list of {l.Count}",
        PickleDict => "a dict",
        PickleObject o => $"an object of {o.Type}",
        _ => v.GetType().Name,
    };
}
