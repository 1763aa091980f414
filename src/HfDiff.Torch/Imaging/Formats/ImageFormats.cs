namespace HfDiff.Torch.Imaging.Formats;

/// <summary>Picks the format check by the file's signature.</summary>
internal static class ImageFormats
{
    public static PreparedImage Prepare(byte[] d, ImageCheck check)
    {
        ReadOnlySpan<byte> s = d;
        if (s.StartsWith(PngCheck.Signature)) return PngCheck.Prepare(d, check);
        if (s.Length >= 2 && s[0] == 0xFF && s[1] == 0xD8) return JpegCheck.Prepare(d, check);
        if (s.StartsWith("GIF87a"u8) || s.StartsWith("GIF89a"u8)) return GifCheck.Prepare(d, check);
        if (s.StartsWith("BM"u8)) return BmpCheck.Prepare(d, check);
        if (s.StartsWith("II*\0"u8) || s.StartsWith("MM\0*"u8) || s.StartsWith("II+\0"u8) || s.StartsWith("MM\0+"u8)) return TiffCheck.Prepare(d, check);
        if (s.Length >= 12 && s.StartsWith("RIFF"u8) && s[8..12].SequenceEqual("WEBP"u8)) return WebpCheck.Prepare(d, check);
        if (s.Length >= 3 && s[0] == 'P' && s[1] is >= (byte)'1' and <= (byte)'6' && s[2] is (byte)' ' or (byte)'\t' or (byte)'\n' or (byte)'\r' or (byte)'#')
            return PnmDecoder.Decode(d, check);
        SixLabors.ImageSharp.Formats.IImageFormat? format;
        try { format = SixLabors.ImageSharp.Image.DetectFormat(d); }
        catch (Exception) { format = null; }
        if (format?.Name == "TGA") return TgaCheck.Prepare(d, check);
        throw ImageCheck.Plain("not an image in a supported format (PNG, JPEG, BMP, TIFF, WebP, GIF, TGA, PBM/PGM/PPM).");
    }
}
