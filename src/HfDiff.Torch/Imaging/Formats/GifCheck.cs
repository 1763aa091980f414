namespace HfDiff.Torch.Imaging.Formats;

/// <summary>
/// GIF: walks every block to the trailer (sub-blocks inside the file, LZW minimum code size 2..8, frames inside the
/// logical screen) and runs the first frame's LZW codes (no pixels are stored) to check that they give all its
/// pixels and no colour index past the colour table. The decoder sees only the header, global colour table and
/// first frame, without extensions: later frames cost nothing, and a transparent index keeps its palette colour, as
/// in Pillow's <c>convert('RGB')</c>.
/// </summary>
internal static class GifCheck
{
    public static PreparedImage Prepare(byte[] d, ImageCheck check)
    {
        if (d.Length < 13) { check.Truncated("the GIF header is cut"); throw ImageCheck.Fail("GIF: header cut."); }
        int sw = d[6] | d[7] << 8, sh = d[8] | d[9] << 8, packed = d[10];
        int gctSize = (packed & 0x80) != 0 ? 2 << (packed & 7) : 0;
        if (sw == 0 || sh == 0) throw ImageCheck.Fail($"GIF: invalid screen size {sw}×{sh}.");
        check.CheckBudget(sw, sh, 1, 3);
        int pos = 13 + 3 * gctSize;
        if (pos > d.Length) { check.Truncated("the global colour table is cut"); throw ImageCheck.Fail("GIF: colour table cut."); }
        int headerEnd = pos, firstStart = -1, firstEnd = -1;
        bool firstComplete = true;
        while (true)
        {
            if (pos >= d.Length) { check.Truncated("no GIF trailer"); break; }
            int b = d[pos];
            if (b == 0x3B) break;
            if (b == 0x21)
            {
                if (pos + 2 > d.Length) { check.Truncated("extension cut"); break; }
                pos = SkipSubBlocks(d, pos + 2, check, out _);
                if (pos < 0) break;
                continue;
            }
            if (b != 0x2C) throw ImageCheck.Fail($"GIF: unknown block 0x{b:X2} at byte {pos}.");
            int start = pos;
            if (pos + 11 > d.Length) { check.Truncated("image descriptor cut"); break; }
            int left = d[pos + 1] | d[pos + 2] << 8, top = d[pos + 3] | d[pos + 4] << 8;
            int w = d[pos + 5] | d[pos + 6] << 8, h = d[pos + 7] | d[pos + 8] << 8, ip = d[pos + 9];
            if (w == 0 || h == 0 || left + w > sw || top + h > sh)
                throw ImageCheck.Fail($"GIF: frame {w}×{h} at ({left},{top}) lies outside the {sw}×{sh} screen.");
            int lctSize = (ip & 0x80) != 0 ? 2 << (ip & 7) : 0;
            pos += 10 + 3 * lctSize;
            if (pos >= d.Length) { check.Truncated("frame colour table cut"); break; }
            int codeSize = d[pos];
            if (codeSize is < 2 or > 8) throw ImageCheck.Fail($"GIF: invalid LZW minimum code size {codeSize}.");
            int dataStart = pos + 1;
            pos = SkipSubBlocks(d, dataStart, check, out bool complete);
            if (firstStart < 0)
            {
                firstStart = start;
                firstEnd = pos < 0 ? d.Length : pos;
                firstComplete = complete;
                int table = lctSize > 0 ? lctSize : gctSize;
                CheckLzw(d, dataStart, firstEnd, codeSize, (long)w * h, table, check);
            }
            if (pos < 0) break;
        }
        if (firstStart < 0) throw ImageCheck.Fail("GIF: no image in the file.");
        var output = new byte[headerEnd + (firstEnd - firstStart) + (firstComplete ? 0 : 1) + 1]; // + block terminator if cut, + trailer
        d.AsSpan(0, headerEnd).CopyTo(output);
        d.AsSpan(firstStart, firstEnd - firstStart).CopyTo(output.AsSpan(headerEnd));
        output[^1] = 0x3B;
        return new PreparedImage(output, "GIF") { Width = sw, Height = sh };
    }

    /// <summary>Position after the sub-blocks starting at <paramref name="pos"/>, or -1 if they run past the end.</summary>
    static int SkipSubBlocks(byte[] d, int pos, ImageCheck check, out bool complete)
    {
        complete = false;
        while (true)
        {
            if (pos >= d.Length) { check.Truncated("data sub-blocks run past the end of the file"); return -1; }
            int n = d[pos];
            if (n == 0) { complete = true; return pos + 1; }
            if (pos + 1 + n > d.Length) { check.Truncated("data sub-blocks run past the end of the file"); return -1; }
            pos += 1 + n;
        }
    }

    /// <summary>Decodes the LZW code stream counting output pixels (string lengths only); literals must index the table.</summary>
    static void CheckLzw(byte[] d, int pos, int end, int minCode, long pixels, int tableSize, ImageCheck check)
    {
        int clear = 1 << minCode, eoi = clear + 1, codeSize = minCode + 1, next = clear + 2, prev = -1;
        var len = new int[4096];
        long count = 0;
        int bits = 0, acc = 0, blockLeft = 0;
        while (count < pixels)
        {
            while (bits < codeSize)
            {
                if (blockLeft == 0)
                {
                    if (pos >= end || d[pos] == 0) goto done;
                    blockLeft = d[pos++];
                }
                if (pos >= end) goto done;
                acc |= d[pos++] << bits; bits += 8; blockLeft--;
            }
            int code = acc & ((1 << codeSize) - 1);
            acc >>= codeSize; bits -= codeSize;
            if (code == clear) { codeSize = minCode + 1; next = clear + 2; prev = -1; continue; }
            if (code == eoi) break;
            int length;
            if (code < clear)
            {
                if (tableSize > 0 && code >= tableSize)
                    throw ImageCheck.Fail($"GIF: colour index {code} beyond the {tableSize}-entry colour table.");
                length = 1;
            }
            else if (prev >= 0 && code < next) length = len[code];
            else if (prev >= 0 && code == next) length = (prev < clear ? 1 : len[prev]) + 1;
            else throw ImageCheck.Fail($"GIF: invalid LZW code {code}.");
            count += length;
            if (prev >= 0 && next < 4096)
            {
                len[next] = (prev < clear ? 1 : len[prev]) + 1;
                next++;
                if (next == 1 << codeSize && codeSize < 12) codeSize++;
            }
            prev = code;
        }
    done:
        if (count < pixels) check.Truncated($"the first frame's LZW data gives {count:N0} of {pixels:N0} pixels");
    }
}
