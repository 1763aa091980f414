using System.Buffers.Binary;
using System.IO.Compression;

namespace HfDiff.Torch.Imaging.Formats;

/// <summary>
/// PNG: walks the chunks (CRCs of the chunks we use, exactly one IHDR first, PLTE before IDAT, consecutive IDATs,
/// IEND present), inflates the IDAT stream row by row to check that it holds exactly the bytes IHDR promises, valid
/// filter types and, for palette images, no index past the palette. The decoder then sees IHDR, PLTE, tRNS, one merged
/// IDAT and IEND only: text chunks (even a zTXt that inflates to a gigabyte), ICC profiles, EXIF and 1-byte IDAT chunks
/// cannot affect it. Orientation comes from eXIf through <see cref="ExifOrientation"/>.
/// </summary>
internal static class PngCheck
{
    public static readonly byte[] Signature = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A];

    public static PreparedImage Prepare(byte[] d, ImageCheck check)
    {
        int pos = 8;
        byte[]? ihdr = null, plte = null, trns = null;
        var idat = new MemoryStream();
        bool idatDone = false, iend = false;
        int orientation = 1, chunkIndex = 0;
        while (true)
        {
            if (pos == d.Length) { check.Truncated("no IEND chunk"); break; }
            if (pos + 8 > d.Length) { check.Truncated($"chunk header cut at byte {pos}"); break; }
            long length = BinaryPrimitives.ReadUInt32BigEndian(d.AsSpan(pos));
            var typeBytes = d.AsSpan(pos + 4, 4);
            foreach (var c in typeBytes)
                if (!(c is >= (byte)'A' and <= (byte)'Z' || c is >= (byte)'a' and <= (byte)'z'))
                    throw ImageCheck.Fail($"PNG: invalid chunk type at byte {pos + 4}.");
            string type = System.Text.Encoding.ASCII.GetString(typeBytes);
            if (length > int.MaxValue) throw ImageCheck.Fail($"PNG: chunk '{type}' claims {length:N0} bytes.");
            bool complete = pos + 12 + length <= d.Length;
            bool critical = (typeBytes[0] & 0x20) == 0;
            bool used = type is "IHDR" or "PLTE" or "IDAT" or "IEND" or "tRNS" or "eXIf";
            if (!complete)
            {
                check.Truncated($"chunk '{type}' ({length:N0} bytes) runs past the end of the file");
                if (type == "IDAT" && !idatDone && ihdr is not null) idat.Write(d, pos + 8, (int)Math.Max(0, Math.Min(length, d.Length - pos - 8)));
                break;
            }
            var data = d.AsSpan(pos + 8, (int)length);
            if (critical || used)
            {
                uint stored = BinaryPrimitives.ReadUInt32BigEndian(d.AsSpan(pos + 8 + (int)length));
                if (Crc32.Compute(d.AsSpan(pos + 4, 4 + (int)length)) != stored) throw ImageCheck.Fail($"PNG: bad CRC in chunk '{type}'.");
            }
            if (chunkIndex == 0 && type != "IHDR") throw ImageCheck.Fail("PNG: the first chunk is not IHDR.");
            if (type != "IDAT" && idat.Length > 0) idatDone = true;
            switch (type)
            {
                case "IHDR":
                    if (ihdr is not null) throw ImageCheck.Fail("PNG: more than one IHDR chunk.");
                    if (length != 13) throw ImageCheck.Fail($"PNG: IHDR has {length} bytes, not 13.");
                    ihdr = data.ToArray();
                    break;
                case "PLTE":
                    if (plte is not null) throw ImageCheck.Fail("PNG: more than one PLTE chunk.");
                    if (idat.Length > 0) throw ImageCheck.Fail("PNG: PLTE after IDAT.");
                    if (length == 0 || length % 3 != 0 || length > 768) throw ImageCheck.Fail($"PNG: PLTE of {length} bytes.");
                    plte = data.ToArray();
                    break;
                case "tRNS": trns = data.ToArray(); break;
                case "eXIf": orientation = ExifOrientation.Read(data); break;
                case "IDAT":
                    if (idatDone) throw ImageCheck.Fail("PNG: IDAT chunks are not consecutive.");
                    idat.Write(data);
                    break;
                case "IEND": iend = true; break;
                default:
                    if (critical) throw ImageCheck.Fail($"PNG: unknown critical chunk '{type}'.");
                    break;
            }
            if (iend) break;
            chunkIndex++;
            pos += 12 + (int)length;
        }
        if (ihdr is null) throw ImageCheck.Fail("PNG: no IHDR chunk.");
        var h = Header.Parse(ihdr);
        check.CheckBudget(h.Width, h.Height, h.Channels * h.BitDepth / 8.0, h.BitDepth == 16 ? 6 : 3);
        if (h.ColorType == 3 && plte is null) throw ImageCheck.Fail("PNG: palette image without PLTE.");
        if (plte is not null && h.ColorType == 3 && plte.Length / 3 > 1 << h.BitDepth)
            throw ImageCheck.Fail($"PNG: PLTE has {plte.Length / 3} entries, more than {1 << h.BitDepth} for {h.BitDepth}-bit indices.");
        if (idat.Length == 0) { check.Truncated("no IDAT data"); throw ImageCheck.Fail("PNG: no image data."); }

        CheckImageData(idat, h, h.ColorType == 3 ? plte!.Length / 3 : int.MaxValue, check);

        var output = new MemoryStream((int)idat.Length + 1024);
        output.Write(Signature);
        WriteChunk(output, "IHDR", ihdr);
        if (plte is not null) WriteChunk(output, "PLTE", plte);
        if (trns is not null) WriteChunk(output, "tRNS", trns);
        WriteChunk(output, "IDAT", idat.GetBuffer().AsSpan(0, (int)idat.Length));
        WriteChunk(output, "IEND", []);
        return new PreparedImage(output.ToArray(), "PNG") { Orientation = orientation, Width = h.Width, Height = h.Height };
    }

    sealed record Header(int Width, int Height, int BitDepth, int ColorType, int Interlace, int Channels)
    {
        public static Header Parse(byte[] b)
        {
            long w = BinaryPrimitives.ReadUInt32BigEndian(b), hh = BinaryPrimitives.ReadUInt32BigEndian(b.AsSpan(4));
            int depth = b[8], color = b[9];
            if (w == 0 || hh == 0 || w > int.MaxValue || hh > int.MaxValue) throw ImageCheck.Fail($"PNG: invalid dimensions {w}×{hh}.");
            int channels = color switch { 0 => 1, 2 => 3, 3 => 1, 4 => 2, 6 => 4, _ => throw ImageCheck.Fail($"PNG: invalid colour type {color}.") };
            bool depthOk = color switch
            {
                0 => depth is 1 or 2 or 4 or 8 or 16,
                3 => depth is 1 or 2 or 4 or 8,
                _ => depth is 8 or 16,
            };
            if (!depthOk) throw ImageCheck.Fail($"PNG: bit depth {depth} is invalid for colour type {color}.");
            if (b[10] != 0 || b[11] != 0) throw ImageCheck.Fail("PNG: unknown compression or filter method.");
            if (b[12] > 1) throw ImageCheck.Fail($"PNG: unknown interlace method {b[12]}.");
            return new Header((int)w, (int)hh, depth, color, b[12], channels);
        }
    }

    // Adam7 passes: x0, y0, dx, dy.
    static readonly (int X0, int Y0, int Dx, int Dy)[] Adam7 = [(0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2), (0, 1, 1, 2)];

    /// <summary>Inflates row by row (memory: two rows), checking the total size, filter types and palette indices.</summary>
    static void CheckImageData(MemoryStream idat, Header h, int paletteEntries, ImageCheck check)
    {
        var passes = h.Interlace == 0
            ? [(h.Width, h.Height)]
            : Adam7.Select(p => ((h.Width - p.X0 + p.Dx - 1) / p.Dx, (h.Height - p.Y0 + p.Dy - 1) / p.Dy)).Where(p => p.Item1 > 0 && p.Item2 > 0).ToArray();
        long expected = passes.Sum(p => (long)p.Item2 * (1 + RowBytes(p.Item1, h)));
        int bpp = Math.Max(1, h.Channels * h.BitDepth / 8);
        bool checkIndices = h.ColorType == 3 && paletteEntries < 1 << h.BitDepth;
        idat.Position = 0;
        using var z = new ZLibStream(idat, CompressionMode.Decompress, leaveOpen: true);
        long got = 0;
        try
        {
            foreach (var (pw, ph) in passes)
            {
                int rowBytes = RowBytes(pw, h);
                var prev = new byte[rowBytes];
                var row = new byte[rowBytes + 1];
                for (int y = 0; y < ph; y++)
                {
                    int n = z.ReadAtLeast(row, row.Length, throwOnEndOfStream: false);
                    got += n;
                    if (n < row.Length)
                    {
                        check.Truncated($"the image data inflates to {got:N0} of the {expected:N0} bytes IHDR ({h.Width}×{h.Height}) needs");
                        return;
                    }
                    if (row[0] > 4) throw ImageCheck.Fail($"PNG: invalid filter type {row[0]} in the image data.");
                    if (checkIndices)
                    {
                        Unfilter(row, prev, bpp);
                        CheckIndices(row.AsSpan(1), pw, h.BitDepth, paletteEntries);
                        row.AsSpan(1).CopyTo(prev);
                    }
                }
            }
            var extra = new byte[1];
            if (z.Read(extra) > 0) throw ImageCheck.Fail($"PNG: the image data inflates to more than the {expected:N0} bytes IHDR ({h.Width}×{h.Height}) needs.");
        }
        catch (InvalidDataException e) { throw ImageCheck.Fail($"PNG: corrupt compressed image data ({e.Message})"); }
    }

    static int RowBytes(int width, Header h) => (int)(((long)width * h.Channels * h.BitDepth + 7) / 8);

    static void Unfilter(byte[] row, byte[] prev, int bpp)
    {
        var cur = row.AsSpan(1);
        switch (row[0])
        {
            case 1: for (int i = bpp; i < cur.Length; i++) cur[i] += cur[i - bpp]; break;
            case 2: for (int i = 0; i < cur.Length; i++) cur[i] += prev[i]; break;
            case 3:
                for (int i = 0; i < cur.Length; i++) cur[i] += (byte)(((i >= bpp ? cur[i - bpp] : 0) + prev[i]) >> 1);
                break;
            case 4:
                for (int i = 0; i < cur.Length; i++)
                {
                    int a = i >= bpp ? cur[i - bpp] : 0, b = prev[i], c = i >= bpp ? prev[i - bpp] : 0;
                    int p = a + b - c, pa = Math.Abs(p - a), pb = Math.Abs(p - b), pc = Math.Abs(p - c);
                    cur[i] += (byte)(pa <= pb && pa <= pc ? a : pb <= pc ? b : c);
                }
                break;
        }
    }

    static void CheckIndices(ReadOnlySpan<byte> row, int width, int depth, int entries)
    {
        for (int x = 0; x < width; x++)
        {
            int bit = x * depth;
            int v = (row[bit >> 3] >> (8 - depth - (bit & 7))) & ((1 << depth) - 1);
            if (v >= entries) throw ImageCheck.Fail($"PNG: palette index {v} beyond the {entries}-entry palette.");
        }
    }

    static void WriteChunk(Stream s, string type, ReadOnlySpan<byte> data)
    {
        Span<byte> head = stackalloc byte[8];
        BinaryPrimitives.WriteUInt32BigEndian(head, (uint)data.Length);
        System.Text.Encoding.ASCII.GetBytes(type, head[4..]);
        s.Write(head);
        s.Write(data);
        uint crc = Crc32.Compute(data, Crc32.Compute(head[4..]));
        Span<byte> tail = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(tail, crc);
        s.Write(tail);
    }
}
