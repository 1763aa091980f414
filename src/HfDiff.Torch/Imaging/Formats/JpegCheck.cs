using System.Buffers.Binary;

namespace HfDiff.Torch.Imaging.Formats;

/// <summary>
/// JPEG: walks the markers (segment lengths inside the file, one frame header with 8-bit precision, at least one scan,
/// EOI after the last scan) and refuses Huffman-coded scan data too short for the declared size (every 8×8 block
/// costs at least one bit), so a header claiming 8000×8000 over a few bytes is refused before anything is allocated.
/// The decoder sees the file without APP1–APP13/APP15 and comments: EXIF (however broken or looping) is read only
/// for its orientation tag, by <see cref="ExifOrientation"/>.
/// </summary>
internal static class JpegCheck
{
    public static PreparedImage Prepare(byte[] d, ImageCheck check)
    {
        var output = new MemoryStream(d.Length);
        output.Write(d, 0, 2); // SOI
        int pos = 2, orientation = 1, width = 0, height = 0, sof = -1;
        bool exifSeen = false;
        long entropyBytes = 0;
        int scans = 0;
        (int H, int V)[]? sampling = null;
        while (true)
        {
            while (pos < d.Length && d[pos] != 0xFF) pos++;          // extraneous bytes: skipped, as libjpeg does
            while (pos + 1 < d.Length && d[pos + 1] == 0xFF) pos++;  // fill bytes
            if (pos + 1 >= d.Length) { check.Truncated(scans == 0 ? "no scan data and no EOI marker" : "no EOI marker after the scan data"); break; }
            int m = d[pos + 1];
            if (m == 0xD9) break;
            if (m is >= 0xD0 and <= 0xD7 or 0x01) { pos += 2; continue; }
            if (m == 0xD8) throw ImageCheck.Fail("JPEG: a second SOI marker.");
            if (m == 0x00) throw ImageCheck.Fail($"JPEG: invalid marker at byte {pos}.");
            if (pos + 4 > d.Length) { check.Truncated($"marker 0x{m:X2} cut at byte {pos}"); break; }
            int length = BinaryPrimitives.ReadUInt16BigEndian(d.AsSpan(pos + 2));
            if (length < 2) throw ImageCheck.Fail($"JPEG: segment 0x{m:X2} has length {length}.");
            if (pos + 2 + length > d.Length) { check.Truncated($"segment 0x{m:X2} ({length} bytes) runs past the end of the file"); break; }
            var seg = d.AsSpan(pos + 4, length - 2);
            int segStart = pos, segEnd = pos + 2 + length;
            bool keep = true;
            if (m is >= 0xC0 and <= 0xCF && m is not (0xC4 or 0xC8 or 0xCC))
            {
                if (sof >= 0) throw ImageCheck.Fail("JPEG: more than one frame header (SOF).");
                sof = m;
                if (seg.Length < 6) throw ImageCheck.Fail("JPEG: frame header too short.");
                int precision = seg[0];
                height = BinaryPrimitives.ReadUInt16BigEndian(seg[1..]);
                width = BinaryPrimitives.ReadUInt16BigEndian(seg[3..]);
                int nf = seg[5];
                if (precision != 8) throw ImageCheck.Fail($"JPEG: {precision}-bit sample precision; only 8-bit JPEG is supported.");
                if (width == 0 || height == 0) throw ImageCheck.Fail($"JPEG: invalid dimensions {width}×{height}.");
                if (nf is < 1 or > 4 || seg.Length != 6 + 3 * nf) throw ImageCheck.Fail($"JPEG: frame header with {nf} components is malformed.");
                sampling = new (int, int)[nf];
                for (int i = 0; i < nf; i++)
                {
                    int hv = seg[6 + 3 * i + 1];
                    sampling[i] = (hv >> 4, hv & 15);
                    if (sampling[i].H is < 1 or > 4 || sampling[i].V is < 1 or > 4) throw ImageCheck.Fail($"JPEG: invalid sampling factors 0x{hv:X2}.");
                }
                check.CheckBudget(width, height, nf, 3);
            }
            else if (m == 0xDA)
            {
                if (sof < 0) throw ImageCheck.Fail("JPEG: scan before the frame header.");
                scans++;
                pos = segEnd;
                int start = pos;
                while (pos < d.Length)
                {
                    if (d[pos] == 0xFF && pos + 1 < d.Length)
                    {
                        int next = d[pos + 1];
                        if (next == 0x00 || next is >= 0xD0 and <= 0xD7) { pos += 2; continue; }
                        break;
                    }
                    pos++;
                }
                entropyBytes += pos - start;
                output.Write(d, segStart, pos - segStart);
                continue;
            }
            else if (m == 0xE1 && !exifSeen && seg.Length >= 6 && seg[..6].SequenceEqual("Exif\0\0"u8))
            {
                exifSeen = true;
                orientation = ExifOrientation.Read(seg[6..]);
                keep = false;
            }
            else if (m is >= 0xE1 and <= 0xED or 0xEF or 0xFE) keep = false;
            if (keep) output.Write(d, segStart, segEnd - segStart);
            pos = segEnd;
        }
        if (sof < 0) throw ImageCheck.Fail("JPEG: no frame header (SOF).");
        if (scans == 0) throw ImageCheck.Fail("JPEG: no scan data.");
        // Huffman-coded (SOF0/1/2): each block of each component costs at least one bit of DC code.
        if (sof is 0xC0 or 0xC1 or 0xC2 && !check.AllowTruncated)
        {
            int hmax = sampling!.Max(s => s.H), vmax = sampling!.Max(s => s.V);
            long blocks = 0;
            foreach (var (hs, vs) in sampling!)
                blocks += ((((long)width * hs + hmax - 1) / hmax + 7) / 8) * ((((long)height * vs + vmax - 1) / vmax + 7) / 8);
            if (entropyBytes * 8 < blocks)
                check.Truncated($"{entropyBytes:N0} bytes of scan data cannot hold the {blocks:N0} blocks of a {width}×{height} JPEG");
        }
        output.Write([0xFF, 0xD9]);
        return new PreparedImage(output.ToArray(), "JPEG") { Orientation = orientation, Width = width, Height = height };
    }
}
