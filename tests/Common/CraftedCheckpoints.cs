using System.IO.Compression;

namespace HfDiff.Tests.Common;

/// <summary>
/// Builds checkpoint files opcode by opcode (with <see cref="LegacyPickleBuilder"/>) for the fuzz tests: torch.save zip
/// archives and legacy files whose sizes, offsets, keys and nesting are whatever a test asks for.
/// </summary>
public static class CraftedCheckpoints
{
    public static byte[] Floats(params float[] v) => v.SelectMany(BitConverter.GetBytes).ToArray();

    public static readonly byte[] FourFloats = Floats(1, 2, 3, 4);

    public static LegacyPickleBuilder LongTuple(LegacyPickleBuilder b, long[] values)
    {
        b.Op('(');
        foreach (var v in values) b.Long1(v);
        return b.Op('t');
    }

    /// <summary><c>_rebuild_tensor_v2(('storage', torch.&lt;type&gt;, key, 'cpu', numel), offset, size, stride, False, OrderedDict())</c>.</summary>
    public static LegacyPickleBuilder ZipTensor(LegacyPickleBuilder b, string key, long numel, long offset, long[] size, long[] stride, string type = "FloatStorage")
    {
        b.Global("torch._utils", "_rebuild_tensor_v2").Op('(');
        b.Op('(').Str("storage").Global("torch", type).Str(key).Str("cpu").Long1(numel).Op('t').Op('Q');
        b.Long1(offset);
        LongTuple(b, size);
        LongTuple(b, stride);
        b.Raw(0x89).Global("collections", "OrderedDict").Op(')').Op('R');
        return b.Op('t').Op('R');
    }

    /// <summary>The legacy persistent id <c>('storage', FloatStorage, key, 'cpu', rootSize, view)</c> inside a rebuild call.</summary>
    public static LegacyPickleBuilder LegacyTensor(LegacyPickleBuilder b, string key, long rootSize, long offset, long[] size, long[] stride,
                                                   (long Offset, long Size)? view = null)
    {
        b.Global("torch._utils", "_rebuild_tensor_v2").Op('(');
        b.Op('(').Str("storage").Global("torch", "FloatStorage").Str(key).Str("cpu").Long1(rootSize);
        if (view is { } v) { b.Op('(').Str(key).Long1(v.Offset).Long1(v.Size).Op('t'); } else b.Op('N');
        b.Op('t').Op('Q');
        b.Long1(offset);
        LongTuple(b, size);
        LongTuple(b, stride);
        b.Raw(0x89).Global("collections", "OrderedDict").Op(')').Op('R');
        return b.Op('t').Op('R');
    }

    /// <summary>A torch.save zip archive (stored entries, as torch writes them) of <paramref name="pickle"/> and the storages.</summary>
    public static byte[] Zip(byte[] pickle, params (string Key, byte[] Data)[] storages)
    {
        using var ms = new MemoryStream();
        using (var zip = new ZipArchive(ms, ZipArchiveMode.Create, leaveOpen: true))
        {
            void Add(string name, byte[] data)
            {
                var e = zip.CreateEntry(name, CompressionLevel.NoCompression);
                using var s = e.Open();
                s.Write(data);
            }
            Add("archive/data.pkl", pickle);
            foreach (var (k, d) in storages) Add($"archive/data/{k}", d);
            Add("archive/version", "3\n"u8.ToArray());
        }
        return ms.ToArray();
    }

    /// <summary>A zip checkpoint of the dict whose SETITEMS body <paramref name="items"/> writes.</summary>
    public static byte[] ZipDict(Action<LegacyPickleBuilder> items, params (string Key, byte[] Data)[] storages)
    {
        var b = new LegacyPickleBuilder().Raw(0x80, 2).Op('}').Op('(');
        items(b);
        b.Op('u').Op('.');
        return Zip(b.Bytes(), storages);
    }

    /// <summary>A legacy checkpoint of the dict whose SETITEMS body <paramref name="items"/> writes; <paramref name="storages"/> follow.</summary>
    public static byte[] LegacyDict(Action<LegacyPickleBuilder> items, params (string Key, byte[] Data, long Count)[] storages)
    {
        var b = new LegacyPickleBuilder().Header();
        b.Raw(0x80, 2).Op('}').Op('(');
        items(b);
        b.Op('u').Op('.');
        foreach (var (k, d, n) in storages) b.StorageData(k, d, n);
        return b.Finish();
    }

    /// <summary>{'w': storage '0' as (2,2)}: a valid zip checkpoint that mutations start from.</summary>
    public static byte[] ValidZip() => ZipDict(b => ZipTensor(b.Str("w"), "0", 4, 0, [2, 2], [2, 1]), ("0", FourFloats));

    /// <summary>Writes a list nested <paramref name="depth"/> levels deep (EMPTY_LIST × depth, then APPEND × (depth − 1)); <paramref name="innermost"/> may append one item to the deepest list first.</summary>
    public static LegacyPickleBuilder DeepList(LegacyPickleBuilder b, int depth, Action<LegacyPickleBuilder>? innermost = null)
    {
        var lists = new byte[depth];
        Array.Fill(lists, (byte)']');
        b.Raw(lists);
        if (innermost is not null) { innermost(b); b.Op('a'); }
        var appends = new byte[depth - 1];
        Array.Fill(appends, (byte)'a');
        return b.Raw(appends);
    }

    public static int IndexOf(byte[] haystack, byte[] needle, int from = 0)
    {
        for (int i = from; i + needle.Length <= haystack.Length; i++)
            if (haystack.AsSpan(i, needle.Length).SequenceEqual(needle)) return i;
        return -1;
    }
}
