using System.Runtime.InteropServices;
using TorchSharp;

namespace HfDiff.Torch;

/// <summary>
/// Switches of libtorch that TorchSharp does not expose, reached through libtorch_cpu's exported C++ symbols
/// (Itanium ABI: Linux and macOS). Each call is best effort: false means the switch could not be reached.
/// </summary>
public static class TorchNative
{
    // at::globalContext() and at::Context::{set,}userEnabledNNPACK — exported by libtorch_cpu (checked with nm -D, libtorch 2.10).
    const string GlobalContext = "_ZN2at13globalContextEv";
    const string SetUserEnabledNnpack = "_ZN2at7Context20setUserEnabledNNPACKEb";
    const string UserEnabledNnpack = "_ZNK2at7Context17userEnabledNNPACKEv";

    static readonly object Gate = new();
    static nint _library;

    /// <summary>
    /// Turns NNPACK off (<c>torch.backends.nnpack.set_flags(False)</c>) before its first use. libtorch only tries NNPACK
    /// for CPU convolutions when the user flag is on, and on CPUs NNPACK does not support that first try prints
    /// "Could not initialize NNPACK! Reason: Unsupported hardware." to stderr. With the flag off NNPACK is never
    /// initialised, so the line never appears; convolutions run on libtorch's other CPU kernels (NNPACK is only
    /// considered for batches of 16 and more anyway).
    /// </summary>
    public static bool TryDisableNnpack() => TrySetNnpack(false);

    /// <summary>libtorch's NNPACK user flag, or null when it cannot be read.</summary>
    public static unsafe bool? NnpackEnabled
    {
        get
        {
            if (!TryGetExports(out var context, out _, out var get)) return null;
            var ctx = ((delegate* unmanaged<nint>)context)();
            return ((delegate* unmanaged<nint, byte>)get)(ctx) != 0;
        }
    }

    /// <summary>Sets libtorch's NNPACK user flag; false when it cannot be reached.</summary>
    public static unsafe bool TrySetNnpack(bool enabled)
    {
        if (!TryGetExports(out var context, out var set, out _)) return false;
        var ctx = ((delegate* unmanaged<nint>)context)();
        ((delegate* unmanaged<nint, byte, void>)set)(ctx, enabled ? (byte)1 : (byte)0);
        return true;
    }

    static bool TryGetExports(out nint context, out nint set, out nint get)
    {
        context = set = get = 0;
        if (!(OperatingSystem.IsLinux() || OperatingSystem.IsMacOS())) return false;   // MSVC mangles differently
        var lib = Library();
        return lib != 0
            && NativeLibrary.TryGetExport(lib, GlobalContext, out context)
            && NativeLibrary.TryGetExport(lib, SetUserEnabledNnpack, out set)
            && NativeLibrary.TryGetExport(lib, UserEnabledNnpack, out get);
    }

    static nint Library()
    {
        lock (Gate)
        {
            if (_library != 0) return _library;
            try { torch.InitializeDeviceType(DeviceType.CPU); }   // TorchSharp loads libtorch (and libtorch_cpu) its own way first
            catch (Exception e) when (e is DllNotFoundException or NotSupportedException or TypeInitializationException or ExternalException) { return 0; }
            foreach (var name in new[] { "libtorch_cpu", "libtorch_cpu.so", "libtorch_cpu.dylib" })
                if (NativeLibrary.TryLoad(name, typeof(torch).Assembly, null, out _library)) return _library;
            return 0;
        }
    }
}
