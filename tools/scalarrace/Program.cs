using TorchSharp;
using static TorchSharp.torch;
// Thread A: tensor ops with implicit Scalar temporaries. Thread B (optional): allocates garbage to trigger GCs.
bool churn = args.Length > 0 && args[0] == "churn";
int seconds = args.Length > 1 ? int.Parse(args[1]) : 60;
torch.set_num_threads(1);
var stop = DateTime.UtcNow.AddSeconds(seconds);
var x = torch.rand(512, 512);
long ops = 0, gcs0 = GC.CollectionCount(0);
Thread? b = null;
if (churn)
{
    b = new Thread(() => { var keep = new List<byte[]>(); while (DateTime.UtcNow < stop) { keep.Add(new byte[4096]); if (keep.Count > 256) keep.Clear(); } }) { IsBackground = true };
    b.Start();
}
try
{
    while (DateTime.UtcNow < stop)
    {
        using var y = x.mul(0.5).add(x, alpha: 0.25).clamp(0.0, 1.0);
        ops++;
    }
    Console.WriteLine($"churn={churn}: {ops} iterations, {GC.CollectionCount(0) - gcs0} gen0 GCs, no error");
}
catch (Exception e)
{
    Console.WriteLine($"churn={churn}: FAILED after {ops} iterations, {GC.CollectionCount(0) - gcs0} gen0 GCs: {e.GetType().Name}: {e.Message.Split('\n')[0]}");
}
