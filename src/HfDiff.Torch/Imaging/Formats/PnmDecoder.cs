namespace HfDiff.Torch.Imaging.Formats;

/// <summary>
/// Netpbm P1–P6 (PBM, PGM, PPM; plain and raw), decoded here rather than by ImageSharp: maxval 1..65535 (16-bit
/// samples big-endian), samples scaled exactly as value/maxval, sample values above maxval refused, data length
/// checked against the header.
/// </summary>
internal static class PnmDecoder
{
    public static PreparedImage Decode(byte[] d, ImageCheck check)
    {
        int kind = d[1] - '0';
        int pos = 2;
        long w = Number(d, ref pos, "width"), h = Number(d, ref pos, "height");
        long maxval = kind is 1 or 4 ? 1 : Number(d, ref pos, "maxval");
        if (w <= 0 || h <= 0 || w > int.MaxValue || h > int.MaxValue) throw ImageCheck.Fail($"PNM: invalid dimensions {w}×{h}.");
        if (maxval is < 1 or > 65535) throw ImageCheck.Fail($"PNM: maxval {maxval} outside 1..65535.");
        int channels = kind is 3 or 6 ? 3 : 1;
        int sampleBytes = maxval > 255 ? 2 : 1;
        check.CheckBudget(w, h, kind is 1 or 4 ? 1 / 8.0 : channels * sampleBytes, 2 * channels);
        int plane = (int)(w * h);
        // Length checks come before any allocation, so a large header over a few bytes is refused cheaply.
        if (kind >= 4)
        {
            if (pos >= d.Length || !IsSpace(d[pos])) { check.Truncated("no pixel data after the header"); }
            else pos++;
            long need = kind == 4 ? (w + 7) / 8 * h : (long)plane * channels * sampleBytes;
            long have = Math.Max(0, d.Length - pos);
            if (have < need) check.Truncated($"pixel data has {have:N0} of {need:N0} bytes");
        }
        else
        {
            long samples = (long)plane * channels, minBytes = kind == 1 ? samples : 2 * samples - 1; // a digit, then a separator
            if (d.Length - pos < minBytes) check.Truncated($"{d.Length - pos:N0} bytes of plain data cannot hold {samples:N0} samples");
        }
        var planar = new float[3 * plane];
        var values = new ushort[(long)plane * channels];
        if (kind >= 4)
        {
            if (kind == 4)
            {
                long rowBytes = (w + 7) / 8;
                for (long y = 0; y < h; y++)
                    for (long x = 0; x < w; x++)
                    {
                        long p = pos + y * rowBytes + x / 8;
                        values[y * w + x] = (ushort)(p < d.Length && (d[p] >> (7 - (int)(x % 8)) & 1) != 0 ? 1 : 0);
                    }
            }
            else
                for (long i = 0; i < values.Length; i++)
                {
                    long p = pos + i * sampleBytes;
                    if (p + sampleBytes > d.Length) break;
                    values[i] = sampleBytes == 1 ? d[p] : (ushort)(d[p] << 8 | d[p + 1]);
                }
        }
        else
        {
            for (long i = 0; i < values.Length; i++)
            {
                if (kind == 1)
                {
                    while (pos < d.Length && (IsSpace(d[pos]) || d[pos] == '#')) SkipSpace(d, ref pos);
                    if (pos >= d.Length) { check.Truncated($"plain PBM data has {i:N0} of {values.Length:N0} samples"); break; }
                    if (d[pos] is not ((byte)'0' or (byte)'1')) throw ImageCheck.Fail($"PNM: invalid PBM sample at byte {pos}.");
                    values[i] = (ushort)(d[pos++] - '0');
                    continue;
                }
                SkipSpace(d, ref pos);
                if (pos >= d.Length) { check.Truncated($"plain PNM data has {i:N0} of {values.Length:N0} samples"); break; }
                long v = Number(d, ref pos, "sample");
                if (v > maxval) throw ImageCheck.Fail($"PNM: sample value {v} exceeds maxval {maxval}.");
                values[i] = (ushort)v;
            }
        }
        // PBM: 1 is black.
        for (int i = 0; i < plane; i++)
            for (int c = 0; c < 3; c++)
            {
                int v = values[(long)i * channels + (channels == 3 ? c : 0)];
                if (v > maxval) throw ImageCheck.Fail($"PNM: sample value {v} exceeds maxval {maxval}.");
                planar[c * plane + i] = kind is 1 or 4 ? 1 - v : v / (float)maxval;
            }
        var image = new RgbImage((int)w, (int)h, planar, maxval > 255 ? 16 : 8);
        return new PreparedImage(d, "PNM") { Width = (int)w, Height = (int)h, Decoded = image };
    }

    static bool IsSpace(byte b) => b is (byte)' ' or (byte)'\t' or (byte)'\n' or (byte)'\r' or 0x0B or 0x0C;

    static void SkipSpace(byte[] d, ref int pos)
    {
        while (pos < d.Length)
        {
            if (IsSpace(d[pos])) pos++;
            else if (d[pos] == '#') { while (pos < d.Length && d[pos] != '\n' && d[pos] != '\r') pos++; }
            else break;
        }
    }

    static long Number(byte[] d, ref int pos, string what)
    {
        SkipSpace(d, ref pos);
        if (pos >= d.Length) throw ImageCheck.TruncatedFail($"the PNM header ends before the {what}");
        if (d[pos] is < (byte)'0' or > (byte)'9') throw ImageCheck.Fail($"PNM: invalid {what} at byte {pos}.");
        long v = 0;
        while (pos < d.Length && d[pos] is >= (byte)'0' and <= (byte)'9')
        {
            v = v * 10 + (d[pos++] - '0');
            if (v > int.MaxValue) throw ImageCheck.Fail($"PNM: {what} too large.");
        }
        return v;
    }
}
