using System.Buffers.Binary;

namespace HfDiff.Torch.Imaging.Formats;

/// <summary>
/// WebP: the RIFF size against the file length, every chunk inside the RIFF, the bitstream's own size against the
/// canvas or frame. The decoder sees a plain RIFF with the one VP8/VP8L bitstream: for an animation the first frame's
/// (placed at its offset on a black canvas, as Pillow's first frame after <c>convert('RGB')</c>: libwebp zero-fills
/// the canvas of a key frame), for a still image the image's; EXIF, ICC and XMP chunks are dropped (orientation is
/// read from EXIF by <see cref="ExifOrientation"/>). ALPH is dropped too: alpha is discarded anyway.
/// </summary>
internal static class WebpCheck
{
    public static PreparedImage Prepare(byte[] d, ImageCheck check)
    {
        if (d.Length < 20) { check.Truncated("the WebP header is cut"); throw ImageCheck.Fail("WebP: header cut."); }
        long riff = BinaryPrimitives.ReadUInt32LittleEndian(d.AsSpan(4)) + 8L;
        if (riff > d.Length) check.Truncated($"the RIFF header declares {riff:N0} bytes but the file has {d.Length:N0}");
        int end = (int)Math.Min(riff, d.Length);
        int pos = 12, orientation = 1;
        int canvasW = 0, canvasH = 0;
        bool extended = false;
        (int Pos, int Size, string Type)? bitstream = null;
        (int X, int Y, int W, int H)? frame = null;
        while (pos + 8 <= end)
        {
            string type = System.Text.Encoding.ASCII.GetString(d, pos, 4);
            long size = BinaryPrimitives.ReadUInt32LittleEndian(d.AsSpan(pos + 4));
            if (pos + 8 + size > end)
            {
                check.Truncated($"chunk '{type}' ({size:N0} bytes) runs past the end of the file");
                size = end - pos - 8;
            }
            int body = pos + 8;
            switch (type)
            {
                case "VP8X" when pos == 12 && size >= 10:
                    extended = true;
                    canvasW = ImageCheck.U24Le(d, body + 4) + 1; canvasH = ImageCheck.U24Le(d, body + 7) + 1;
                    check.CheckBudget(canvasW, canvasH, 4, 3);
                    break;
                case "VP8 " or "VP8L" when bitstream is null && frame is null:
                    bitstream = (body, (int)size, type);
                    break;
                case "ANMF" when frame is null && size >= 16:
                    frame = (2 * ImageCheck.U24Le(d, body), 2 * ImageCheck.U24Le(d, body + 3), ImageCheck.U24Le(d, body + 6) + 1, ImageCheck.U24Le(d, body + 9) + 1);
                    for (int p = body + 16; p + 8 <= body + size;)
                    {
                        string sub = System.Text.Encoding.ASCII.GetString(d, p, 4);
                        long subSize = BinaryPrimitives.ReadUInt32LittleEndian(d.AsSpan(p + 4));
                        if (p + 8 + subSize > body + size) throw ImageCheck.Fail($"WebP: frame chunk '{sub}' runs past its ANMF chunk.");
                        if (sub is "VP8 " or "VP8L") { bitstream = (p + 8, (int)subSize, sub); break; }
                        p += 8 + (int)((subSize + 1) & ~1L);
                    }
                    break;
                case "EXIF": orientation = ExifOrientation.Read(d.AsSpan(body, (int)size)); break;
            }
            pos = body + (int)((size + 1) & ~1L);
        }
        if (bitstream is not { } bs) throw ImageCheck.Fail("WebP: no image data (VP8/VP8L chunk).");
        var (bw, bh) = BitstreamSize(d.AsSpan(bs.Pos, bs.Size), bs.Type);
        (int Width, int Height, int X, int Y)? canvas = null;
        if (frame is { } f)
        {
            if (!extended) throw ImageCheck.Fail("WebP: animation frame without a VP8X header.");
            if (f.X + f.W > canvasW || f.Y + f.H > canvasH) throw ImageCheck.Fail($"WebP: frame {f.W}×{f.H} at ({f.X},{f.Y}) lies outside the {canvasW}×{canvasH} canvas.");
            if (bw != f.W || bh != f.H) throw ImageCheck.Fail($"WebP: the frame's bitstream is {bw}×{bh} but its ANMF chunk says {f.W}×{f.H}.");
            if (f.X != 0 || f.Y != 0 || f.W != canvasW || f.H != canvasH) canvas = (canvasW, canvasH, f.X, f.Y);
        }
        else if (extended && (bw != canvasW || bh != canvasH))
            throw ImageCheck.Fail($"WebP: the bitstream is {bw}×{bh} but the VP8X canvas is {canvasW}×{canvasH}.");
        check.CheckBudget(bw, bh, 4, 3);

        int padded = (bs.Size + 1) & ~1;
        var o = new byte[20 + padded];
        "RIFF"u8.CopyTo(o);
        BinaryPrimitives.WriteUInt32LittleEndian(o.AsSpan(4), (uint)(12 + padded));
        "WEBP"u8.CopyTo(o.AsSpan(8));
        System.Text.Encoding.ASCII.GetBytes(bs.Type, o.AsSpan(12));
        BinaryPrimitives.WriteUInt32LittleEndian(o.AsSpan(16), (uint)bs.Size);
        d.AsSpan(bs.Pos, bs.Size).CopyTo(o.AsSpan(20));
        return new PreparedImage(o, "WebP") { Orientation = orientation, Width = bw, Height = bh, Canvas = canvas };
    }

    static (int W, int H) BitstreamSize(ReadOnlySpan<byte> b, string type)
    {
        if (type == "VP8L")
        {
            if (b.Length < 5 || b[0] != 0x2F) throw ImageCheck.Fail("WebP: invalid VP8L header.");
            uint bits = BinaryPrimitives.ReadUInt32LittleEndian(b[1..]);
            return ((int)(bits & 0x3FFF) + 1, (int)((bits >> 14) & 0x3FFF) + 1);
        }
        if (b.Length < 10 || b[3] != 0x9D || b[4] != 0x01 || b[5] != 0x2A) throw ImageCheck.Fail("WebP: invalid VP8 header.");
        int w = BinaryPrimitives.ReadUInt16LittleEndian(b[6..]) & 0x3FFF, h = BinaryPrimitives.ReadUInt16LittleEndian(b[8..]) & 0x3FFF;
        if (w == 0 || h == 0) throw ImageCheck.Fail($"WebP: invalid dimensions {w}×{h}.");
        return (w, h);
    }
}
