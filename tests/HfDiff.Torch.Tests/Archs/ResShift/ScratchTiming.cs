using System.Diagnostics;
using HfDiff.Torch.Archs.ResShift;
using static TorchSharp.torch;

namespace HfDiff.Torch.Tests.Archs.ResShift;

[TestClass]
public class ScratchTiming
{
    [TestMethod]
    public void AttnMemory()
    {
        set_num_threads(1);
        using var _ = no_grad();
        using var blk = new LdmAttnBlock(512);
        using var x = randn(1, 512, 128, 128);
        var p = Process.GetCurrentProcess(); p.Refresh();
        long before = p.PeakWorkingSet64; var w = Stopwatch.StartNew();
        using var y = blk.call(x);
        p.Refresh();
        Console.WriteLine($"attn 128x128x512: wall {w.ElapsedMilliseconds} ms peak before {before >> 20} MB after {p.PeakWorkingSet64 >> 20} MB");
    }
}
