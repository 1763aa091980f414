namespace HfDiff.Torch.Imaging.Formats;

/// <summary>
/// TGA: header fields, colour map and pixel data inside the file; RLE packets walked until they give every pixel;
/// colour-mapped indices inside the colour map.
/// </summary>
internal static class TgaCheck
{
    public static PreparedImage Prepare(byte[] d, ImageCheck check)
    {
        if (d.Length < 18) { check.Truncated("the TGA header is cut"); throw ImageCheck.Fail("TGA: header cut."); }
        int idLength = d[0], mapType = d[1], type = d[2];
        int mapFirst = ImageCheck.U16(d, 3, true), mapLength = ImageCheck.U16(d, 5, true), mapEntryBits = d[7];
        int w = ImageCheck.U16(d, 12, true), h = ImageCheck.U16(d, 14, true), bpp = d[16];
        if (type is not (1 or 2 or 3 or 9 or 10 or 11)) throw ImageCheck.Fail($"TGA: unsupported image type {type}.");
        if (w == 0 || h == 0) throw ImageCheck.Fail($"TGA: invalid dimensions {w}×{h}.");
        if (bpp is not (8 or 15 or 16 or 24 or 32)) throw ImageCheck.Fail($"TGA: invalid bits per pixel {bpp}.");
        bool mapped = type is 1 or 9;
        if (mapped && (mapType != 1 || mapLength == 0)) throw ImageCheck.Fail("TGA: colour-mapped image without a colour map.");
        check.CheckBudget(w, h, (bpp + 7) / 8, 3);
        int pixelBytes = (bpp + 7) / 8;
        long pos = 18 + idLength + (mapType == 1 ? (long)mapLength * ((mapEntryBits + 7) / 8) : 0);
        if (pos > d.Length) { check.Truncated("the colour map runs past the end of the file"); throw ImageCheck.Fail("TGA: no pixel data."); }
        long pixels = (long)w * h;
        int maxIndex = mapped ? mapFirst + mapLength : int.MaxValue;
        int Index(long p) => pixelBytes == 1 ? d[p] : d[p] | d[p + 1] << 8;
        void CheckIndex(long p) { if (mapped && Index(p) >= maxIndex) throw ImageCheck.Fail($"TGA: colour index {Index(p)} beyond the {maxIndex}-entry colour map."); }
        if (type < 9)
        {
            long need = pixels * pixelBytes;
            if (pos + need > d.Length) { check.Truncated($"pixel data has {d.Length - pos:N0} of {need:N0} bytes"); return Result(d, w, h); }
            if (mapped) for (long i = 0; i < pixels; i++) CheckIndex(pos + i * pixelBytes);
            return Result(d, w, h);
        }
        long done = 0;
        while (done < pixels)
        {
            if (pos >= d.Length) { check.Truncated($"RLE data stops after {done:N0} of {pixels:N0} pixels"); break; }
            int head = d[pos++], n = (head & 0x7f) + 1;
            int values = (head & 0x80) != 0 ? 1 : n;
            if (pos + (long)values * pixelBytes > d.Length) { check.Truncated($"RLE data stops after {done:N0} of {pixels:N0} pixels"); break; }
            for (int i = 0; i < values; i++) CheckIndex(pos + (long)i * pixelBytes);
            pos += (long)values * pixelBytes;
            done += n;
        }
        return Result(d, w, h);
    }

    static PreparedImage Result(byte[] d, int w, int h) => new(d, "TGA") { Width = w, Height = h };
}
