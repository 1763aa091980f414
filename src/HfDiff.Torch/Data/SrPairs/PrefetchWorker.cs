using System.Runtime.ExceptionServices;
using System.Threading.Channels;

namespace HfDiff.Torch.Data.SrPairs;

/// <summary>
/// Enumerates a batch source on a dedicated background thread into a bounded channel. The consumer takes batches with
/// <see cref="TryTake"/>; <see cref="Stop"/> cancels the source, closes the channel (a batch the worker still holds is
/// then disposed by the worker) and disposes every batch left in the queue. A worker exception is rethrown to the
/// consumer after the batches made before it.
/// </summary>
internal sealed class PrefetchWorker
{
    readonly Channel<SrPairBatch> _channel;
    readonly CancellationTokenSource _cts = new();
    readonly Thread _thread;
    volatile Exception? _error;

    public PrefetchWorker(Func<CancellationToken, IEnumerable<SrPairBatch>> source, int capacity)
    {
        _channel = Channel.CreateBounded<SrPairBatch>(new BoundedChannelOptions(capacity)
        {
            SingleReader = true,
            SingleWriter = true,
            FullMode = BoundedChannelFullMode.Wait,
        });
        // A dedicated thread (not the thread pool): it blocks in torch for seconds at a time. TorchSharp dispose scopes
        // and the no-grad mode are per thread, so the source sets up its own.
        _thread = new Thread(() => Run(source)) { IsBackground = true, Name = "SrPairLoader prefetch" };
        _thread.Start();
    }

    /// <summary>Whether the worker thread has finished.</summary>
    public bool HasExited => !_thread.IsAlive;

    void Run(Func<CancellationToken, IEnumerable<SrPairBatch>> source)
    {
        var token = _cts.Token;
        try
        {
            foreach (var batch in source(token))
            {
                if (!Write(batch, token))
                {
                    batch.Dispose();
                    break;
                }
            }
        }
        catch (OperationCanceledException) when (token.IsCancellationRequested) { }
        catch (Exception e) { _error = e; }
        finally { _channel.Writer.TryComplete(); }
    }

    bool Write(SrPairBatch batch, CancellationToken token)
    {
        var writer = _channel.Writer;
        while (!writer.TryWrite(batch))
        {
            try
            {
                if (!writer.WaitToWriteAsync(token).AsTask().GetAwaiter().GetResult()) return false; // closed by Stop
            }
            catch (OperationCanceledException) { return false; }
        }
        return true;
    }

    /// <summary>Blocks until a batch is ready (true) or the source is exhausted (false); rethrows a worker error.</summary>
    public bool TryTake(out SrPairBatch? batch)
    {
        var reader = _channel.Reader;
        while (true)
        {
            if (reader.TryRead(out batch)) return true;
            if (!reader.WaitToReadAsync().AsTask().GetAwaiter().GetResult())
            {
                if (_error is { } e) ExceptionDispatchInfo.Capture(e).Throw();
                batch = null;
                return false;
            }
        }
    }

    /// <summary>
    /// Cancels the worker, waits up to <paramref name="timeout"/> for it to exit and disposes queued batches; true if it
    /// exited. Safe to call more than once (the token source is not disposed: it has no timer to release).
    /// </summary>
    public bool Stop(TimeSpan timeout)
    {
        _cts.Cancel();
        _channel.Writer.TryComplete();
        bool exited = _thread.Join(timeout);
        while (_channel.Reader.TryRead(out var b)) b.Dispose();
        return exited;
    }
}
