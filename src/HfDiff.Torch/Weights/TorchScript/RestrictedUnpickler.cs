using System.Buffers.Binary;
using System.Numerics;
using System.Text;

namespace HfDiff.Torch.Weights.TorchScript;

/// <summary>
/// A data-only pickle reader (protocols 0–5, the opcodes <c>torch.save</c> and TorchScript's C++ pickler emit).
/// Classes are never looked up or run: GLOBAL gives a <see cref="PickleGlobal"/>, NEWOBJ / REDUCE give a
/// <see cref="PickleObject"/> (BUILD stores its state), except for the reductions in <see cref="Reducers"/>
/// (tensor rebuilds, OrderedDict). Persistent ids go to <see cref="PersistentLoad"/>.
/// </summary>
public sealed class RestrictedUnpickler
{
    /// <summary>Interpreted reductions: (module, name) → function of the argument tuple.</summary>
    public Dictionary<(string Module, string Name), Func<object?[], object?>> Reducers { get; } = new()
    {
        [("collections", "OrderedDict")] = _ => new PickleDict(),
        [("builtins", "dict")] = _ => new PickleDict(),
    };

    /// <summary>Resolves a persistent id (BINPERSID / PERSID); default: keep the id tuple as is.</summary>
    public Func<object?, object?> PersistentLoad { get; set; } = pid => pid;

    /// <summary>
    /// When set, every GLOBAL / STACK_GLOBAL it returns false for is refused (an <see cref="InvalidDataException"/> naming
    /// the class or function) before the pickle goes on, as <c>torch.load(weights_only=True)</c> does. Null: any
    /// reference is kept as data (TorchScript archives name their module classes).
    /// </summary>
    public Func<PickleGlobal, bool>? AllowGlobal { get; set; }

    /// <summary>The globals a <c>torch.save</c> state dict needs (torch.load's weights_only allowlist, without numpy).</summary>
    public static bool IsWeightsOnlyGlobal(PickleGlobal g) => (g.Module, g.Name) switch
    {
        ("collections", "OrderedDict") => true,
        ("torch._utils", "_rebuild_tensor" or "_rebuild_tensor_v2" or "_rebuild_parameter" or "_rebuild_parameter_with_state") => true,
        ("torch", var n) => n.EndsWith("Storage", StringComparison.Ordinal) || n is "Size" or "device"
            or "float32" or "float" or "float64" or "double" or "float16" or "half" or "bfloat16" or "int64" or "long" or "int32" or "int"
            or "int16" or "short" or "int8" or "uint8" or "bool" or "complex64" or "complex128",
        ("builtins", "set" or "frozenset" or "bytearray") => true,
        _ => false,
    };

    static readonly object Mark = new();

    /// <summary>Runs the pickle program and returns the value left by STOP.</summary>
    /// <exception cref="InvalidDataException">Malformed or truncated pickle, or a global <see cref="AllowGlobal"/> refuses;
    /// the message starts with <paramref name="source"/>.</exception>
    public object? Load(byte[] data, string source)
    {
        try { return Run(data, source); }
        catch (Exception e) when (e is FormatException or OverflowException or InvalidCastException or ArgumentException or IndexOutOfRangeException)
        {
            throw new InvalidDataException($"{source}: malformed pickle ({e.Message}).", e);
        }
    }

    PickleGlobal Global(string module, string name, string source)
    {
        var g = new PickleGlobal(module, name);
        if (AllowGlobal is { } allow && !allow(g))
            throw new InvalidDataException($"{source}: refuses to load the class or function '{g}': a checkpoint may only hold tensors, " +
                                           "(Ordered)dicts, lists, tuples, numbers, strings, bools and None; other objects are never constructed.");
        return g;
    }

    object? Run(byte[] data, string source)
    {
        var stack = new List<object?>();
        var marks = new Stack<int>();
        var memo = new Dictionary<long, object?>();
        int pos = 0;

        byte ReadByte() => pos < data.Length ? data[pos++] : throw Eof();
        ReadOnlySpan<byte> Read(long n)
        {
            if (n < 0 || pos + n > data.Length) throw Eof();
            var s = data.AsSpan(pos, (int)n);
            pos += (int)n;
            return s;
        }
        string ReadLine()
        {
            int start = pos;
            while (pos < data.Length && data[pos] != (byte)'\n') pos++;
            if (pos >= data.Length) throw Eof();
            return Encoding.UTF8.GetString(data, start, pos++ - start);
        }
        InvalidDataException Eof() => new($"{source}: pickle data ends unexpectedly (truncated file).");
        object? Pop()
        {
            if (stack.Count == 0) throw new InvalidDataException($"{source}: pickle stack underflow at byte {pos}.");
            var v = stack[^1];
            stack.RemoveAt(stack.Count - 1);
            return v;
        }
        object? Top() => stack.Count > 0 ? stack[^1] : throw new InvalidDataException($"{source}: pickle stack underflow at byte {pos}.");
        List<object?> PopToMark()
        {
            if (marks.Count == 0) throw new InvalidDataException($"{source}: pickle MARK missing at byte {pos}.");
            int m = marks.Pop();
            var items = stack.GetRange(m, stack.Count - m);
            stack.RemoveRange(m, stack.Count - m);
            return items;
        }
        void SetItems(object? target, List<object?> kv)
        {
            if (target is not PickleDict d) return;   // dict-like state of an uninterpreted object: ignore
            for (int i = 0; i + 1 < kv.Count; i += 2) d.Set(kv[i] ?? "None", kv[i + 1]);
        }
        void Append(object? target, IEnumerable<object?> items)
        {
            if (target is List<object?> l) l.AddRange(items);
        }
        object? Reduce(object? callable, object?[] args)
        {
            if (callable is PickleGlobal g && Reducers.TryGetValue((g.Module, g.Name), out var f)) return f(args);
            if (AllowGlobal is not null && callable is not PickleGlobal)
                throw new InvalidDataException($"{source}: malformed pickle (a call of {callable?.GetType().Name ?? "None"}, not of a class or function).");
            return new PickleObject(callable as PickleGlobal ?? new PickleGlobal("?", callable?.ToString() ?? "None"), args);
        }

        while (true)
        {
            byte op = ReadByte();
            switch (op)
            {
                case 0x80: ReadByte(); break;                                                 // PROTO
                case 0x95: Read(8); break;                                                    // FRAME
                case (byte)'.': return stack.Count > 0 ? Pop() : null;                        // STOP
                case (byte)'(': marks.Push(stack.Count); break;                              // MARK
                case (byte)'0': Pop(); break;                                                 // POP
                case (byte)'1': PopToMark(); break;                                           // POP_MARK
                case (byte)'2': stack.Add(Top()); break;                                      // DUP
                case (byte)'N': stack.Add(null); break;
                case 0x88: stack.Add(true); break;
                case 0x89: stack.Add(false); break;
                case (byte)'J': stack.Add((long)BinaryPrimitives.ReadInt32LittleEndian(Read(4))); break;
                case (byte)'K': stack.Add((long)ReadByte()); break;
                case (byte)'M': stack.Add((long)BinaryPrimitives.ReadUInt16LittleEndian(Read(2))); break;
                case 0x8a: stack.Add(LongFromBytes(Read(ReadByte()))); break;                 // LONG1
                case 0x8b: stack.Add(LongFromBytes(Read(BinaryPrimitives.ReadInt32LittleEndian(Read(4))))); break;
                case (byte)'I':                                                               // INT (text)
                {
                    var s = ReadLine();
                    stack.Add(s == "01" ? true : s == "00" ? false : long.Parse(s, System.Globalization.CultureInfo.InvariantCulture));
                    break;
                }
                case (byte)'L': stack.Add(long.Parse(ReadLine().TrimEnd('L'), System.Globalization.CultureInfo.InvariantCulture)); break;
                case (byte)'G': stack.Add(BinaryPrimitives.ReadDoubleBigEndian(Read(8))); break;
                case (byte)'F': stack.Add(double.Parse(ReadLine(), System.Globalization.CultureInfo.InvariantCulture)); break;
                case (byte)'X': stack.Add(Encoding.UTF8.GetString(Read(BinaryPrimitives.ReadUInt32LittleEndian(Read(4))))); break;
                case 0x8c: stack.Add(Encoding.UTF8.GetString(Read(ReadByte()))); break;       // SHORT_BINUNICODE
                case 0x8d: stack.Add(Encoding.UTF8.GetString(Read((long)BinaryPrimitives.ReadUInt64LittleEndian(Read(8))))); break;
                case (byte)'V': stack.Add(ReadLine()); break;                                 // UNICODE (raw-unicode-escape; ASCII here)
                case (byte)'T': stack.Add(Encoding.Latin1.GetString(Read(BinaryPrimitives.ReadInt32LittleEndian(Read(4))))); break;
                case (byte)'U': stack.Add(Encoding.Latin1.GetString(Read(ReadByte()))); break;
                case (byte)'S': stack.Add(ReadLine().Trim('\'', '"')); break;
                case (byte)'B': stack.Add(Read(BinaryPrimitives.ReadUInt32LittleEndian(Read(4))).ToArray()); break;
                case (byte)'C': stack.Add(Read(ReadByte()).ToArray()); break;
                case 0x8e: stack.Add(Read((long)BinaryPrimitives.ReadUInt64LittleEndian(Read(8))).ToArray()); break;
                case (byte)')': stack.Add(Array.Empty<object?>()); break;                    // EMPTY_TUPLE
                case (byte)'t': stack.Add(PopToMark().ToArray()); break;                      // TUPLE
                case 0x85: { var a = Pop(); stack.Add(new[] { a }); break; }
                case 0x86: { var b = Pop(); var a = Pop(); stack.Add(new[] { a, b }); break; }
                case 0x87: { var c = Pop(); var b = Pop(); var a = Pop(); stack.Add(new[] { a, b, c }); break; }
                case (byte)']': stack.Add(new List<object?>()); break;                        // EMPTY_LIST
                case (byte)'l': stack.Add(PopToMark()); break;                                // LIST
                case (byte)'a': { var v = Pop(); Append(Top(), [v]); break; }                 // APPEND
                case (byte)'e': { var items = PopToMark(); Append(Top(), items); break; }     // APPENDS
                case (byte)'}': stack.Add(new PickleDict()); break;                           // EMPTY_DICT
                case (byte)'d': { var d = new PickleDict(); SetItems(d, PopToMark()); stack.Add(d); break; }
                case (byte)'s': { var v = Pop(); var k = Pop(); SetItems(Top(), [k, v]); break; }
                case (byte)'u': { var items = PopToMark(); SetItems(Top(), items); break; }  // SETITEMS
                case 0x8f: stack.Add(new List<object?>()); break;                             // EMPTY_SET
                case 0x90: { var items = PopToMark(); Append(Top(), items); break; }         // ADDITEMS
                case 0x91: stack.Add(PopToMark()); break;                                     // FROZENSET
                case (byte)'p': memo[long.Parse(ReadLine(), System.Globalization.CultureInfo.InvariantCulture)] = Top(); break;
                case (byte)'q': memo[ReadByte()] = Top(); break;
                case (byte)'r': memo[BinaryPrimitives.ReadUInt32LittleEndian(Read(4))] = Top(); break;
                case 0x94: memo[memo.Count] = Top(); break;                                   // MEMOIZE
                case (byte)'g': stack.Add(MemoGet(memo, long.Parse(ReadLine(), System.Globalization.CultureInfo.InvariantCulture), source)); break;
                case (byte)'h': stack.Add(MemoGet(memo, ReadByte(), source)); break;
                case (byte)'j': stack.Add(MemoGet(memo, BinaryPrimitives.ReadUInt32LittleEndian(Read(4)), source)); break;
                case (byte)'c':                                                               // GLOBAL
                {
                    var module = ReadLine();
                    stack.Add(Global(module, ReadLine(), source));
                    break;
                }
                case 0x93: { var name = Pop() as string; var module = Pop() as string; stack.Add(Global(module ?? "?", name ?? "?", source)); break; }
                case (byte)'R': { var args = Pop() as object?[] ?? []; var f = Pop(); stack.Add(Reduce(f, args)); break; }
                case 0x81: { var args = Pop() as object?[] ?? []; var cls = Pop(); stack.Add(Reduce(cls, args)); break; }   // NEWOBJ
                case 0x92: { Pop(); var args = Pop() as object?[] ?? []; var cls = Pop(); stack.Add(Reduce(cls, args)); break; } // NEWOBJ_EX
                case (byte)'b':                                                               // BUILD
                {
                    var state = Pop();
                    var target = Top();
                    if (target is PickleObject o) o.State = state;
                    else if (target is PickleDict d && state is PickleDict s) foreach (var kv in s.Items) d.Set(kv.Key, kv.Value);
                    break;
                }
                case (byte)'Q': stack.Add(PersistentLoad(Pop())); break;                      // BINPERSID
                case (byte)'P': stack.Add(PersistentLoad(ReadLine())); break;                 // PERSID
                default:
                    throw new InvalidDataException($"{source}: unsupported pickle opcode 0x{op:X2} at byte {pos - 1}.");
            }
        }
    }

    static object? MemoGet(Dictionary<long, object?> memo, long key, string source) =>
        memo.TryGetValue(key, out var v) ? v : throw new InvalidDataException($"{source}: pickle memo entry {key} is not defined.");

    static object LongFromBytes(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length == 0) return 0L;
        var big = new BigInteger(bytes, isUnsigned: false, isBigEndian: false);
        return big >= long.MinValue && big <= long.MaxValue ? (object)(long)big : big;   // (object): else the ternary is BigInteger
    }
}
