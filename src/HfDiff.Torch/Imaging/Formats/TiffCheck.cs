using System.Buffers.Binary;

namespace HfDiff.Torch.Imaging.Formats;

/// <summary>
/// TIFF: the first IFD (a plausible entry count that fits in the file; the values of the tags we use inside the file),
/// and every strip or tile inside the file (uncompressed ones as long as their rows need). The decoder gets the file
/// with a new first IFD appended that holds only the tags needed to decode the pixels and no next IFD: later pages,
/// EXIF/GPS sub-IFDs and broken private tags cannot affect it. Orientation (tag 274) is applied by us. CMYK
/// ("Separated", 4 samples) is handed over as RGBA with unassociated alpha, i.e. (C, M, Y, K), and converted by
/// <see cref="ImageIO"/>.
/// </summary>
internal static class TiffCheck
{
    const int MaxEntries = 4096;

    // Tags the decoder needs: size, samples, compression, photometric, fill order, strips, planar config, predictor,
    // colour map, tiles, extra samples, sample format, JPEG tables, YCbCr, fax options.
    static readonly HashSet<int> Needed = [256, 257, 258, 259, 262, 266, 273, 277, 278, 279, 284, 292, 293, 317, 320, 322, 323, 324, 325, 338, 339, 347, 529, 530, 531, 532];

    record struct Entry(int Tag, int Type, uint Count, int ValuePos, long DataPos, long Bytes);

    public static PreparedImage Prepare(byte[] d, ImageCheck check)
    {
        if (d.Length < 8) { check.Truncated("the TIFF header is cut"); throw ImageCheck.Fail("TIFF: header cut."); }
        bool le = d[0] == 'I';
        int magic = ImageCheck.U16(d, 2, le);
        if (magic == 43) throw ImageCheck.Fail("TIFF: BigTIFF is not supported.");
        long ifd = ImageCheck.U32(d, 4, le);
        if (ifd < 8 || ifd + 2 > d.Length) throw ImageCheck.Fail($"TIFF: the first IFD at byte {ifd:N0} lies outside the {d.Length:N0}-byte file.");
        int n = ImageCheck.U16(d, (int)ifd, le);
        if (n == 0 || n > MaxEntries) throw ImageCheck.Fail($"TIFF: implausible IFD entry count {n:N0}.");
        if (ifd + 2 + 12L * n > d.Length)
            throw ImageCheck.Fail($"TIFF: the IFD claims {n:N0} entries ({12L * n:N0} bytes) but the file ends {d.Length - ifd - 2:N0} bytes after it starts.");
        if (ifd + 2 + 12L * n + 4 > d.Length) check.Truncated("the IFD's next-IFD offset is cut");

        var entries = new Dictionary<int, Entry>();
        for (int i = 0; i < n; i++)
        {
            int e = (int)ifd + 2 + 12 * i;
            int tag = ImageCheck.U16(d, e, le), type = ImageCheck.U16(d, e + 2, le);
            uint count = ImageCheck.U32(d, e + 4, le);
            int size = type switch { 1 or 2 or 6 or 7 => 1, 3 or 8 => 2, 4 or 9 or 11 or 13 => 4, 5 or 10 or 12 => 8, _ => 0 };
            if (!Needed.Contains(tag) && tag is not (274 or 332))
            {
                // Tags we do not use are skipped, but one whose values start inside the file and run past its end
                // means the file was cut (a value pointing far beyond the end is a broken tag: ignored).
                long start = (long)count * size > 4 ? ImageCheck.U32(d, e + 8, le) : 0;
                if (size > 0 && (long)count * size > 4 && start <= d.Length && start + (long)count * size > d.Length)
                    check.Truncated($"the values of tag {tag} run past the end of the {d.Length:N0}-byte file");
                continue;
            }
            if (size == 0) throw ImageCheck.Fail($"TIFF: tag {tag} has unknown type {type}.");
            long bytes = (long)count * size;
            long dataPos = bytes <= 4 ? e + 8 : ImageCheck.U32(d, e + 8, le);
            if (dataPos + bytes > d.Length)
                throw ImageCheck.Fail($"TIFF: the values of tag {tag} ({bytes:N0} bytes at {dataPos:N0}) lie past the end of the {d.Length:N0}-byte file.");
            entries.TryAdd(tag, new Entry(tag, type, count, e + 8, dataPos, bytes));
        }

        long[] Values(int tag)
        {
            if (!entries.TryGetValue(tag, out var en)) return [];
            if (en.Type is not (3 or 4 or 1 or 13)) throw ImageCheck.Fail($"TIFF: tag {tag} has type {en.Type}; expected an integer.");
            var v = new long[en.Count];
            for (int i = 0; i < v.Length; i++)
                v[i] = en.Type switch
                {
                    1 => d[en.DataPos + i],
                    3 => ImageCheck.U16(d, (int)(en.DataPos + 2L * i), le),
                    _ => ImageCheck.U32(d, (int)(en.DataPos + 4L * i), le),
                };
            return v;
        }
        long One(int tag, long fallback) { var v = Values(tag); return v.Length > 0 ? v[0] : fallback; }

        long w = One(256, 0), h = One(257, 0);
        if (w <= 0 || h <= 0 || w > int.MaxValue || h > int.MaxValue) throw ImageCheck.Fail($"TIFF: invalid dimensions {w}×{h}.");
        long spp = One(277, 1), bps = One(258, 1), compression = One(259, 1), photometric = One(262, -1), planar = One(284, 1);
        if (spp is < 1 or > 8 || bps is < 1 or > 64) throw ImageCheck.Fail($"TIFF: {spp} samples of {bps} bits per pixel.");
        check.CheckBudget(w, h, spp * bps / 8.0, bps > 8 ? 6 : 3);
        bool cmyk = photometric == 5 && One(332, 1) == 1;
        if (photometric == 5 && !(cmyk && spp == 4)) throw ImageCheck.Fail($"TIFF: separated (CMYK) images with {spp} samples or other ink sets are not supported.");

        bool tiled = entries.ContainsKey(324);
        var offsets = Values(tiled ? 324 : 273);
        var counts = Values(tiled ? 325 : 279);
        if (offsets.Length == 0) throw ImageCheck.Fail("TIFF: no strip or tile offsets.");
        if (counts.Length != offsets.Length) throw ImageCheck.Fail($"TIFF: {offsets.Length} strip offsets but {counts.Length} byte counts.");
        long planes = planar == 2 ? spp : 1;
        long rowBits = planar == 2 ? w * bps : w * spp * bps;
        long perPlane, unitRows, unitRowBytes;
        if (tiled)
        {
            long tw = One(322, 0), th = One(323, 0);
            if (tw <= 0 || th <= 0) throw ImageCheck.Fail($"TIFF: invalid tile size {tw}×{th}.");
            perPlane = ((w + tw - 1) / tw) * ((h + th - 1) / th);
            unitRows = th;
            unitRowBytes = (tw * (rowBits / w) + 7) / 8;
        }
        else
        {
            long rps = Math.Clamp(One(278, h), 1, h);
            perPlane = (h + rps - 1) / rps;
            unitRows = rps;
            unitRowBytes = (rowBits + 7) / 8;
        }
        string unit = tiled ? "tile" : "strip";
        if (offsets.Length < perPlane * planes) throw ImageCheck.Fail($"TIFF: {offsets.Length} {unit}s for an image that needs {perPlane * planes}.");
        for (int i = 0; i < perPlane * planes; i++)
        {
            if (offsets[i] + counts[i] > d.Length)
            {
                check.Truncated($"{unit} {i} ({counts[i]:N0} bytes at {offsets[i]:N0}) runs past the end of the {d.Length:N0}-byte file");
                if (offsets[i] >= d.Length) throw ImageCheck.Fail($"TIFF: {unit} {i} starts past the end of the file.");
                continue;
            }
            if (compression == 1)
            {
                long rows = tiled ? unitRows : Math.Min(unitRows, h - i % perPlane * unitRows);
                if (counts[i] < rows * unitRowBytes)
                    check.Truncated($"uncompressed {unit} {i} has {counts[i]:N0} of the {rows * unitRowBytes:N0} bytes its rows need");
            }
        }

        // Compressed data cannot expand beyond its codec's maximum ratio (PackBits 2 → 128 bytes, LZW one 12-bit code →
        // at most 4,096 bytes, Deflate 1,032:1): a large image over a few compressed bytes is cut, refused before decoding.
        double ratio = compression switch { 32773 => 64, 5 => 2731, 8 or 32946 => 1032, _ => 0 };
        if (ratio > 0)
        {
            long have = 0;
            for (int i = 0; i < perPlane * planes; i++) have += Math.Max(0, Math.Min(counts[i], d.Length - offsets[i]));
            long needed = (rowBits + 7) / 8 * h * (planar == 2 ? spp : 1);
            if (have * ratio < needed) check.Truncated($"{have:N0} compressed bytes cannot hold the {needed:N0} bytes of a {w}×{h} image");
        }

        int orientation = (int)One(274, 1);
        if (orientation is < 1 or > 8) orientation = 1;
        return new PreparedImage(Rebuild(d, le, entries.Values.Where(e => Needed.Contains(e.Tag)), cmyk), "TIFF")
        {
            Orientation = orientation, Cmyk = cmyk, Width = (int)w, Height = (int)h,
        };
    }

    /// <summary>The original bytes + a new IFD (kept tags only, sorted; CMYK re-declared as RGBA) as the first and only IFD.</summary>
    static byte[] Rebuild(byte[] d, bool le, IEnumerable<Entry> kept, bool cmyk)
    {
        var list = kept.Where(e => !(cmyk && e.Tag == 338)).OrderBy(e => e.Tag).ToList();
        int count = list.Count + (cmyk ? 1 : 0);
        long ifdPos = (d.Length + 1) & ~1L;
        long dataPos = ifdPos + 2 + 12L * count + 4;
        var extra = list.Where(e => e.Bytes > 4).Sum(e => (e.Bytes + 1) & ~1L);
        var o = new byte[dataPos + extra];
        d.CopyTo(o, 0);
        void W16(long p, int v) { if (le) BinaryPrimitives.WriteUInt16LittleEndian(o.AsSpan((int)p), (ushort)v); else BinaryPrimitives.WriteUInt16BigEndian(o.AsSpan((int)p), (ushort)v); }
        void W32(long p, uint v) { if (le) BinaryPrimitives.WriteUInt32LittleEndian(o.AsSpan((int)p), v); else BinaryPrimitives.WriteUInt32BigEndian(o.AsSpan((int)p), v); }
        W32(4, (uint)ifdPos);
        W16(ifdPos, count);
        long e = ifdPos + 2;
        var all = list.Select(x => (x.Tag, (Entry?)x)).ToList();
        if (cmyk) all.Add((338, null));
        foreach (var (tag, entry) in all.OrderBy(x => x.Tag))
        {
            W16(e, tag);
            if (entry is not { } en) { W16(e + 2, 3); W32(e + 4, 1); W32(e + 8, 0); W16(e + 8, 2); } // ExtraSamples = unassociated alpha
            else
            {
                W16(e + 2, en.Type); W32(e + 4, en.Count);
                if (cmyk && tag == 262) { W32(e + 8, 0); if (en.Type == 3) W16(e + 8, 2); else W32(e + 8, 2); } // RGB
                else if (en.Bytes <= 4) d.AsSpan(en.ValuePos, 4).CopyTo(o.AsSpan((int)e + 8));
                else
                {
                    d.AsSpan((int)en.DataPos, (int)en.Bytes).CopyTo(o.AsSpan((int)dataPos));
                    W32(e + 8, (uint)dataPos);
                    dataPos += (en.Bytes + 1) & ~1L;
                }
            }
            e += 12;
        }
        W32(e, 0); // no next IFD: the first page only
        return o;
    }
}
