namespace HfDiff.Torch.Imaging.Formats;

/// <summary>
/// BMP: header fields the decoder trusts (header size, bits per pixel 1/2/4/8/16/24/32, compression, colours used
/// ≤ 2^bpp), the colour table and pixel data inside the file (Pillow's rule: up to the last row's pixels), RLE data
/// reaching its end-of-bitmap marker, and colour indices inside the colour table.
/// </summary>
internal static class BmpCheck
{
    public static PreparedImage Prepare(byte[] d, ImageCheck check)
    {
        if (d.Length < 18 + 12) { check.Truncated("the BMP header is cut"); throw ImageCheck.Fail("BMP: header cut."); }
        long offBits = ImageCheck.U32(d, 10, true);
        uint dib = ImageCheck.U32(d, 14, true);
        long w, h; int bpp, compression = 0; long clrUsed = 0; int entrySize = 4;
        if (dib == 12)
        {
            w = ImageCheck.U16(d, 18, true); h = ImageCheck.U16(d, 20, true); bpp = ImageCheck.U16(d, 24, true); entrySize = 3;
        }
        else if (dib is 40 or 52 or 56 or 64 or 108 or 124)
        {
            if (d.Length < 14 + 40) { check.Truncated("the BMP header is cut"); throw ImageCheck.Fail("BMP: header cut."); }
            w = (int)ImageCheck.U32(d, 18, true); h = (int)ImageCheck.U32(d, 22, true);
            bpp = ImageCheck.U16(d, 28, true); compression = (int)ImageCheck.U32(d, 30, true); clrUsed = ImageCheck.U32(d, 46, true);
        }
        else throw ImageCheck.Fail($"BMP: unsupported header size {dib}.");
        if (14 + dib > d.Length) { check.Truncated("the BMP header is cut"); throw ImageCheck.Fail("BMP: header cut."); }
        if (w <= 0 || h == 0 || h == int.MinValue) throw ImageCheck.Fail($"BMP: invalid dimensions {w}×{h}.");
        h = Math.Abs(h);
        if (bpp is not (1 or 2 or 4 or 8 or 16 or 24 or 32)) throw ImageCheck.Fail($"BMP: invalid bits per pixel {bpp}.");
        bool ok = compression switch { 0 => true, 1 => bpp == 8, 2 => bpp == 4, 3 or 6 => bpp is 16 or 32, _ => false };
        if (!ok) throw ImageCheck.Fail($"BMP: compression {compression} with {bpp} bits per pixel is not supported.");
        check.CheckBudget(w, h, bpp / 8.0, 3);
        if (bpp <= 8 && clrUsed > 1L << bpp) throw ImageCheck.Fail($"BMP: {clrUsed:N0} colours used, more than 2^{bpp}.");
        long paletteStart = 14 + dib + (dib == 40 && compression == 3 ? 12 : dib == 40 && compression == 6 ? 16 : 0);
        long entries = bpp <= 8 ? (clrUsed == 0 ? 1L << bpp : clrUsed) : clrUsed;
        if (paletteStart + entries * entrySize > d.Length)
        {
            if (bpp > 8) throw ImageCheck.Fail($"BMP: a colour table of {clrUsed:N0} entries runs past the end of the file.");
            check.Truncated("the colour table runs past the end of the file");
        }
        if (offBits < 14 + dib || offBits > d.Length) { check.Truncated($"pixel data offset {offBits:N0} lies past the end of the file"); throw ImageCheck.Fail("BMP: no pixel data."); }
        int maxIndex = bpp <= 8 && entries < 1L << bpp ? (int)entries : int.MaxValue;
        if (compression is 1 or 2) CheckRle(d, (int)offBits, w, compression == 2, maxIndex, check);
        else
        {
            long stride = (w * bpp + 31) / 32 * 4, rowBytes = (w * bpp + 7) / 8;
            long need = stride * (h - 1) + rowBytes;
            if (offBits + need > d.Length) check.Truncated($"pixel data has {d.Length - offBits:N0} of {need:N0} bytes");
            else if (maxIndex != int.MaxValue)
                for (long y = 0; y < h; y++)
                    for (long x = 0; x < w; x++)
                    {
                        long bit = x * bpp;
                        int v = (d[offBits + y * stride + (bit >> 3)] >> (8 - bpp - (int)(bit & 7))) & ((1 << bpp) - 1);
                        if (v >= maxIndex) throw ImageCheck.Fail($"BMP: colour index {v} beyond the {maxIndex}-entry colour table.");
                    }
        }
        return new PreparedImage(d, "BMP") { Width = (int)w, Height = (int)h };
    }

    static void CheckRle(byte[] d, int pos, long w, bool four, int maxIndex, ImageCheck check)
    {
        void Index(int v) { if (v >= maxIndex) throw ImageCheck.Fail($"BMP: colour index {v} beyond the {maxIndex}-entry colour table."); }
        while (true)
        {
            if (pos + 2 > d.Length) { check.Truncated("RLE data ends before the end-of-bitmap marker"); return; }
            int a = d[pos], b = d[pos + 1];
            pos += 2;
            if (a > 0)
            {
                if (four) { Index(b >> 4); if (a > 1) Index(b & 15); } else Index(b);
                continue;
            }
            if (b == 0) continue;       // end of line
            if (b == 1) return;         // end of bitmap
            if (b == 2) { pos += 2; continue; }  // delta
            int bytes = four ? (b + 1) / 2 : b;
            if (pos + bytes > d.Length) { check.Truncated("RLE data ends before the end-of-bitmap marker"); return; }
            for (int i = 0; i < b; i++) Index(four ? (i % 2 == 0 ? d[pos + i / 2] >> 4 : d[pos + i / 2] & 15) : d[pos + i]);
            pos += (bytes + 1) & ~1;
        }
    }
}
