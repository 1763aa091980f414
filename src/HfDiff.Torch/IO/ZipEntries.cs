using System.IO.Compression;

namespace HfDiff.Torch.IO;

/// <summary>
/// Reads whole zip entries with their claims checked before anything is allocated (declared size against a cap, the
/// archive's length and what deflate can produce) and their CRC-32 verified afterwards. System.IO.Compression checks
/// the CRC only when a reader happens to read an entry to its end, and our readers stop at the bytes they need, so
/// the check is done here for every entry we use. Problems are <see cref="InvalidDataException"/>s without the
/// archive's path; callers add it.
/// </summary>
internal static class ZipEntries
{
    /// <summary>Deflate cannot expand its input more than about 1032:1.</summary>
    const long MaxDeflateRatio = 1032;

    public static byte[] ReadVerified(ZipArchiveEntry entry, long maxBytes, long archiveLength)
    {
        long length = entry.Length, compressed = entry.CompressedLength;
        string name = entry.FullName;
        if (length < 0 || compressed < 0) throw new InvalidDataException($"entry '{name}' has a negative size.");
        if (length > maxBytes || length > Array.MaxLength)
            throw new InvalidDataException($"entry '{name}' claims {length} bytes, more than the {Math.Min(maxBytes, Array.MaxLength)} this reader accepts.");
        if (compressed > archiveLength)
            throw new InvalidDataException($"entry '{name}' claims {compressed} stored bytes in a file of {archiveLength} bytes (truncated or damaged file).");
        if (length > compressed * MaxDeflateRatio + 1024)
            throw new InvalidDataException($"entry '{name}' claims {length} bytes from {compressed} compressed bytes, more than deflate can produce (damaged file).");
        var buffer = new byte[length];
        try
        {
            using var s = entry.Open();
            s.ReadExactly(buffer);
        }
        catch (EndOfStreamException e) { throw new InvalidDataException($"entry '{name}' ends before its {length} bytes (truncated file).", e); }
        uint crc = Crc32.Compute(buffer);
        if (crc != entry.Crc32)
            throw new InvalidDataException($"entry '{name}' fails its CRC-32 check (stored {entry.Crc32:x8}, computed {crc:x8}): the file is damaged.");
        return buffer;
    }
}
