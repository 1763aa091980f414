using System.Runtime.InteropServices;

namespace HfDiff.Torch.Imaging;

/// <summary>
/// Whether a path is a regular file, asked before reading it: a FIFO blocks the reader until a writer appears, and a
/// device such as <c>/dev/zero</c> reports length 0 and never ends. .NET's file APIs do not expose the file type, so
/// on Linux (x64, arm64) this calls libc's <c>stat</c>; elsewhere the answer is "unknown" (null) and callers go on.
/// </summary>
public static unsafe class RegularFile
{
    const uint TypeMask = 0xF000;   // S_IFMT
    const uint Regular = 0x8000;    // S_IFREG

    static readonly Lazy<(nint Stat, nint XStat, int ModeOffset, int XStatVersion)> Functions = new(Load);

    /// <summary>True for a regular file (symbolic links followed), false for a FIFO, device, socket or folder, null when unknown.</summary>
    public static bool? Check(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        var (stat, xstat, offset, version) = Functions.Value;
        if (offset < 0 || (stat == 0 && xstat == 0)) return null;
        var buffer = stackalloc byte[512];   // struct stat is 144 bytes on x64, 128 on arm64
        int rc;
        fixed (byte* name = System.Text.Encoding.UTF8.GetBytes(path + "\0"))
            rc = stat != 0 ? ((delegate* unmanaged<byte*, byte*, int>)stat)(name, buffer)
                           : ((delegate* unmanaged<int, byte*, byte*, int>)xstat)(version, name, buffer);
        if (rc != 0) return null;
        uint mode = *(uint*)(buffer + offset);
        return (mode & TypeMask) == Regular;
    }

    /// <summary>Throws an <see cref="IOException"/> naming <paramref name="path"/> when it exists but is not a regular file.</summary>
    public static void Require(string path)
    {
        if (Check(path) == false)
            throw new IOException($"'{path}' is not a regular file (a FIFO, device, socket or folder); give an image file.");
    }

    static (nint, nint, int, int) Load()
    {
        if (!OperatingSystem.IsLinux()) return (0, 0, -1, 0);
        // st_mode follows st_dev, st_ino, st_nlink (8 bytes each) on x64; st_dev, st_ino on the generic arm64 layout.
        var (offset, version) = RuntimeInformation.ProcessArchitecture switch
        {
            Architecture.X64 => (24, 1),
            Architecture.Arm64 => (16, 0),
            _ => (-1, 0),
        };
        if (offset < 0) return (0, 0, -1, 0);
        foreach (var name in new[] { "libc.so.6", "libc" })
        {
            if (!NativeLibrary.TryLoad(name, out var lib)) continue;
            // glibc >= 2.33 and musl export stat; older glibc only __xstat(version, path, buf).
            if (NativeLibrary.TryGetExport(lib, "stat", out var stat)) return (stat, 0, offset, version);
            if (NativeLibrary.TryGetExport(lib, "__xstat", out var xstat)) return (0, xstat, offset, version);
        }
        return (0, 0, -1, 0);
    }
}
