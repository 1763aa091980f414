using System.Net;
using System.Net.Sockets;

namespace HfDiff.Tests.Common;

/// <summary>
/// A small HTTP server on 127.0.0.1 (a free port) for download tests: serves in-memory files at <c>/&lt;name&gt;</c>,
/// answers <c>Range: bytes=N-</c> with 206/416 when <see cref="SupportsRanges"/> (else 200 with the whole file),
/// records every Range header it received, and stops on Dispose or after its lifetime, whichever comes first.
/// </summary>
public sealed class LocalHttpServer : IDisposable
{
    readonly HttpListener _listener = new();
    readonly Dictionary<string, byte[]> _files = new(StringComparer.Ordinal);
    readonly List<string?> _ranges = [];
    readonly object _gate = new();
    readonly CancellationTokenSource _lifetime;
    readonly Task _loop;

    public string BaseUrl { get; }

    /// <summary>False: ignore Range headers and always send the whole file with 200, like servers without range support.</summary>
    public bool SupportsRanges { get; set; } = true;

    /// <summary>The Range header of each request received (null when absent), in order.</summary>
    public IReadOnlyList<string?> RangeHeaders { get { lock (_gate) return _ranges.ToList(); } }

    public LocalHttpServer(TimeSpan? lifetime = null)
    {
        for (int attempt = 0; ; attempt++)
        {
            int port = FreePort();
            _listener.Prefixes.Clear();
            _listener.Prefixes.Add($"http://127.0.0.1:{port}/");
            try
            {
                _listener.Start();
                BaseUrl = $"http://127.0.0.1:{port}";
                break;
            }
            catch (HttpListenerException) when (attempt < 5) { /* port taken meanwhile: try another */ }
        }
        _lifetime = new CancellationTokenSource(lifetime ?? TimeSpan.FromSeconds(30));
        _lifetime.Token.Register(Stop);
        _loop = Task.Run(LoopAsync);
    }

    /// <summary>Serves <paramref name="content"/> at <c>/&lt;name&gt;</c>; returns its URL.</summary>
    public string Add(string name, byte[] content)
    {
        lock (_gate) _files[name] = content;
        return $"{BaseUrl}/{Uri.EscapeDataString(name)}";
    }

    static int FreePort()
    {
        var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        int port = ((IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();
        return port;
    }

    async Task LoopAsync()
    {
        while (_listener.IsListening)
        {
            HttpListenerContext context;
            try { context = await _listener.GetContextAsync(); }
            catch (Exception e) when (e is HttpListenerException or ObjectDisposedException or InvalidOperationException) { return; }
            try { Serve(context); }
            catch (Exception e) when (e is HttpListenerException or IOException) { /* client went away */ }
            finally { try { context.Response.Close(); } catch (Exception e) when (e is HttpListenerException or IOException or ObjectDisposedException) { } }
        }
    }

    void Serve(HttpListenerContext context)
    {
        var name = Uri.UnescapeDataString(context.Request.Url!.AbsolutePath.TrimStart('/'));
        var range = context.Request.Headers["Range"];
        byte[]? body;
        lock (_gate)
        {
            _ranges.Add(range);
            _files.TryGetValue(name, out body);
        }
        var response = context.Response;
        if (body is null)
        {
            response.StatusCode = 404;
            response.ContentLength64 = 0;
            return;
        }
        long from = 0;
        if (SupportsRanges && range is not null && range.StartsWith("bytes=", StringComparison.Ordinal) && range.EndsWith('-')
            && long.TryParse(range["bytes=".Length..^1], out from))
        {
            if (from >= body.Length)
            {
                response.StatusCode = 416;
                response.AddHeader("Content-Range", $"bytes */{body.Length}");
                response.ContentLength64 = 0;
                return;
            }
            response.StatusCode = 206;
            response.AddHeader("Content-Range", $"bytes {from}-{body.Length - 1}/{body.Length}");
        }
        else
        {
            from = 0;
            response.StatusCode = 200;
        }
        response.ContentLength64 = body.Length - from;
        response.OutputStream.Write(body, (int)from, (int)(body.Length - from));
    }

    void Stop()
    {
        try { _listener.Stop(); } catch (ObjectDisposedException) { }
    }

    public void Dispose()
    {
        Stop();
        _loop.Wait(TimeSpan.FromSeconds(5));
        _listener.Close();
        _lifetime.Dispose();
    }
}
