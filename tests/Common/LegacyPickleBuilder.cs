using System.Text;

namespace HfDiff.Tests.Common;

/// <summary>
/// Writes small files in PyTorch's legacy torch.save layout, opcode by opcode, so the legacy reader can be tested
/// without Python (valid files, files with a forbidden GLOBAL, truncated files).
/// </summary>
public sealed class LegacyPickleBuilder
{
    readonly MemoryStream _out = new();
    readonly List<(string Key, byte[] Data, long Count)> _storages = [];

    public LegacyPickleBuilder Raw(params byte[] bytes) { _out.Write(bytes); return this; }
    public LegacyPickleBuilder Op(char op) => Raw((byte)op);
    public LegacyPickleBuilder Str(string s)
    {
        var b = Encoding.UTF8.GetBytes(s);
        return Raw((byte)'U', (byte)b.Length).Raw(b);
    }
    public LegacyPickleBuilder Int(int v) => v is >= 0 and < 256 ? Raw((byte)'K', (byte)v) : Raw((byte)'J').Raw(BitConverter.GetBytes(v));
    /// <summary>LONG1, as Python 2 pickles a <c>long</c> (torch writes storage sizes this way).</summary>
    public LegacyPickleBuilder Long1(long v)
    {
        var bytes = new System.Numerics.BigInteger(v).ToByteArray();
        return Raw(0x8a, (byte)bytes.Length).Raw(bytes);
    }
    public LegacyPickleBuilder Global(string module, string name) => Op('c').Raw(Encoding.ASCII.GetBytes($"{module}\n{name}\n"));
    public LegacyPickleBuilder Tuple(params int[] values)
    {
        Op('(');
        foreach (var v in values) Int(v);
        return Op('t');
    }

    /// <summary>Magic number, protocol version 1001 and sys_info, as _legacy_save writes them.</summary>
    public LegacyPickleBuilder Header()
    {
        Raw(0x80, 2, 0x8a, 10, 0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19).Op('.');
        Raw(0x80, 2, (byte)'M', 0xe9, 0x03).Op('.');
        return Raw(0x80, 2).Op('}').Op('(').Str("little_endian").Raw(0x88).Op('u').Op('.');
    }

    /// <summary><c>_rebuild_tensor_v2(storage, offset, size, stride, False, OrderedDict())</c> over a float32 storage.</summary>
    public LegacyPickleBuilder FloatTensor(string storageKey, float[] storage, int offset, int[] size, int[] stride)
    {
        if (!_storages.Any(s => s.Key == storageKey))
            _storages.Add((storageKey, storage.SelectMany(BitConverter.GetBytes).ToArray(), storage.Length));
        Global("torch._utils", "_rebuild_tensor_v2").Op('(');
        Op('(').Str("storage").Global("torch", "FloatStorage").Str(storageKey).Str("cpu").Long1(storage.Length).Op('N').Op('t').Op('Q');
        Int(offset).Tuple(size).Tuple(stride).Raw(0x89);
        Global("collections", "OrderedDict").Op(')').Op('R');
        return Op('t').Op('R');
    }

    /// <summary>The bytes written so far (a zip archive's data.pkl, without the legacy key list and storages).</summary>
    public byte[] Bytes() => _out.ToArray();

    /// <summary>Adds raw storage data for <see cref="Finish"/> under <paramref name="key"/> with the on-disk element count <paramref name="count"/>.</summary>
    public LegacyPickleBuilder StorageData(string key, byte[] data, long count)
    {
        _storages.Add((key, data, count));
        return this;
    }

    /// <summary>The storage key list pickle and the raw storages (int64 count + little-endian data each).</summary>
    public byte[] Finish()
    {
        Raw(0x80, 2).Op(']').Op('(');
        foreach (var s in _storages) Str(s.Key);
        Op('e').Op('.');
        foreach (var s in _storages) Raw(BitConverter.GetBytes(s.Count)).Raw(s.Data);
        return _out.ToArray();
    }
}
