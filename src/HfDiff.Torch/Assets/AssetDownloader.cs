using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;

namespace HfDiff.Torch.Assets;

/// <summary>
/// Downloads a <see cref="ModelAsset"/> into a <see cref="ModelDirectory"/> under its official file name.
/// <list type="bullet">
/// <item>Bytes go to <c>&lt;file&gt;.part</c> next to the final file; an existing part is resumed with an HTTP
/// <c>Range</c> request (206 → append; 200 → the server ignores ranges, start again from zero; 416 → the part already
/// holds the whole file).</item>
/// <item>When <see cref="ModelAsset.Sha256"/> is set, the part is checked before it is moved into place; a mismatch
/// deletes the part and throws, naming the file and both hashes.</item>
/// <item>The finished part is renamed onto the final name, so a final file is never half-written.</item>
/// <item>A file already present is not downloaded again (its hash is checked when known).</item>
/// <item>Mirror: when <see cref="Mirror"/> is set (constructor, CLI <c>--mirror</c>, or <c>$HFDIFF_MODELS_MIRROR</c>
/// via <see cref="ResolveMirror"/>), a file is fetched from <c>&lt;mirror&gt;/&lt;FileName&gt;</c> instead of its official URL.</item>
/// </list>
/// Every failure is an <see cref="AssetDownloadException"/> whose message names the file and the URL.
/// </summary>
public sealed class AssetDownloader : IDisposable
{
    /// <summary>Base URL that replaces every asset's official URL: <c>&lt;mirror&gt;/&lt;FileName&gt;</c>.</summary>
    public const string MirrorEnvironmentVariable = "HFDIFF_MODELS_MIRROR";

    /// <summary>Suffix of the file that receives bytes until the download is complete and verified.</summary>
    public const string PartSuffix = ".part";

    readonly HttpClient _http;
    readonly bool _ownsHttp;

    /// <summary>Mirror base URL without a trailing slash, or null for the official URLs.</summary>
    public string? Mirror { get; }

    /// <summary>A download with no bytes arriving for this long fails (the part is kept for resuming).</summary>
    public TimeSpan IdleTimeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <param name="mirror">Base URL (http or https) to fetch every file from instead of its official URL; null/blank for none.</param>
    /// <param name="http">Client to use (not disposed here); by default one without an overall timeout, so large files can take their time.</param>
    public AssetDownloader(string? mirror = null, HttpClient? http = null)
    {
        if (!string.IsNullOrWhiteSpace(mirror))
        {
            var trimmed = mirror.Trim().TrimEnd('/');
            if (!Uri.TryCreate(trimmed, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps))
                throw new ArgumentException($"mirror must be an absolute http(s) URL; got '{mirror}'.", nameof(mirror));
            Mirror = trimmed;
        }
        _ownsHttp = http is null;
        _http = http ?? CreateClient();
    }

    /// <summary>The explicit mirror when given, else <c>$HFDIFF_MODELS_MIRROR</c>, else null (official URLs).</summary>
    public static string? ResolveMirror(string? explicitMirror = null)
    {
        if (!string.IsNullOrWhiteSpace(explicitMirror)) return explicitMirror;
        var env = Environment.GetEnvironmentVariable(MirrorEnvironmentVariable);
        return string.IsNullOrWhiteSpace(env) ? null : env;
    }

    /// <summary>Where <paramref name="asset"/> is fetched from: <c>&lt;mirror&gt;/&lt;FileName&gt;</c> or its official URL.</summary>
    public Uri UrlOf(ModelAsset asset)
    {
        if (Mirror is not null) return new Uri(Mirror + "/" + Uri.EscapeDataString(asset.FileName));
        if (Uri.TryCreate(asset.Source, UriKind.Absolute, out var uri) && (uri.Scheme == Uri.UriSchemeHttp || uri.Scheme == Uri.UriSchemeHttps))
            return uri;
        throw new AssetDownloadException($"'{asset.FileName}' has no direct download URL (source: {asset.Source}); download it by hand or set a mirror.");
    }

    /// <summary>Synchronous <see cref="DownloadAsync"/>.</summary>
    public string Download(ModelAsset asset, ModelDirectory directory, IProgress<(long Done, long? Total)>? progress = null,
        CancellationToken cancellationToken = default) =>
        DownloadAsync(asset, directory, progress, cancellationToken).GetAwaiter().GetResult();

    /// <summary>
    /// Makes <paramref name="asset"/> present in <paramref name="directory"/> and returns its path. Progress reports
    /// bytes on disk so far (including a resumed part) and the total size when the server tells it.
    /// </summary>
    public async Task<string> DownloadAsync(ModelAsset asset, ModelDirectory directory, IProgress<(long Done, long? Total)>? progress = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(asset);
        ArgumentNullException.ThrowIfNull(directory);
        var target = directory.PathOf(asset.FileName);
        if (File.Exists(target))
        {
            if (asset.Sha256 is not null)
            {
                var actual = await Sha256Async(target, cancellationToken).ConfigureAwait(false);
                if (!SameHash(actual, asset.Sha256))
                    throw new AssetDownloadException($"'{target}' is present but its SHA-256 is {actual}, expected {asset.Sha256.ToLowerInvariant()}. "
                        + "Delete it and fetch it again.");
                directory.RememberVerified(asset, target);
            }
            return target;
        }

        Directory.CreateDirectory(directory.Root);
        var part = target + PartSuffix;
        var url = UrlOf(asset);
        await FetchIntoPartAsync(asset, url, part, progress, cancellationToken).ConfigureAwait(false);

        if (asset.Sha256 is not null)
        {
            var actual = await Sha256Async(part, cancellationToken).ConfigureAwait(false);
            if (!SameHash(actual, asset.Sha256))
            {
                File.Delete(part);
                throw new AssetDownloadException($"'{asset.FileName}' downloaded from {url} has SHA-256 {actual}, expected {asset.Sha256.ToLowerInvariant()}; "
                    + "the download was deleted.");
            }
        }
        File.Move(part, target, overwrite: true);
        // Checked just now: remember it, so the first load does not hash the file again.
        if (asset.Sha256 is not null) directory.RememberVerified(asset, target);
        return target;
    }

    async Task FetchIntoPartAsync(ModelAsset asset, Uri url, string part, IProgress<(long Done, long? Total)>? progress, CancellationToken ct)
    {
        // Two rounds at most: a part the server says does not fit its file is dropped once and fetched from zero.
        for (int round = 0; ; round++)
        {
            long have = File.Exists(part) ? new FileInfo(part).Length : 0;
            using var request = new HttpRequestMessage(HttpMethod.Get, url);
            if (have > 0) request.Headers.Range = new RangeHeaderValue(have, null);
            using var response = await SendAsync(request, asset, url, ct).ConfigureAwait(false);
            var headers = response.Content.Headers;
            switch (response.StatusCode)
            {
                case HttpStatusCode.PartialContent:
                {
                    var range = headers.ContentRange;
                    if (range?.From is long from && from != have)
                    {
                        if (round > 0) throw Fail(asset, url, $"the server answered range {have}- with range {from}-");
                        File.Delete(part);
                        continue;
                    }
                    long? total = range?.Length ?? (headers.ContentLength is long rest ? have + rest : null);
                    await CopyBodyAsync(asset, url, response, part, append: true, have, total, progress, ct).ConfigureAwait(false);
                    return;
                }
                case HttpStatusCode.RequestedRangeNotSatisfiable when have > 0:
                {
                    // The part already holds the whole file; "Content-Range: bytes */N" says how long the file is when sent.
                    if (headers.ContentRange?.Length is long length && length != have)
                    {
                        if (round > 0) throw Fail(asset, url, $"the server refuses range {have}- for a file of {length} bytes");
                        File.Delete(part);
                        continue;
                    }
                    progress?.Report((have, have));
                    return;
                }
                case var _ when response.IsSuccessStatusCode:
                    // 200 to a range request: the server ignores ranges, so the part is rewritten from zero.
                    await CopyBodyAsync(asset, url, response, part, append: false, 0, headers.ContentLength, progress, ct).ConfigureAwait(false);
                    return;
                default:
                    throw Fail(asset, url, $"HTTP {(int)response.StatusCode} ({response.ReasonPhrase ?? response.StatusCode.ToString()})");
            }
        }
    }

    async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, ModelAsset asset, Uri url, CancellationToken ct)
    {
        try
        {
            return await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, ct).ConfigureAwait(false);
        }
        catch (HttpRequestException e)
        {
            throw Fail(asset, url, $"network error: {e.Message}", e);
        }
        catch (OperationCanceledException e) when (!ct.IsCancellationRequested)
        {
            throw Fail(asset, url, "the server did not answer in time", e);
        }
    }

    async Task CopyBodyAsync(ModelAsset asset, Uri url, HttpResponseMessage response, string part, bool append, long start, long? total,
        IProgress<(long Done, long? Total)>? progress, CancellationToken ct)
    {
        long done = start;
        progress?.Report((done, total));
        var buffer = new byte[1 << 16];
        using var idle = CancellationTokenSource.CreateLinkedTokenSource(ct);
        await using (var file = new FileStream(part, append ? FileMode.Append : FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16, useAsync: true))
        await using (var body = await response.Content.ReadAsStreamAsync(ct).ConfigureAwait(false))
        {
            while (true)
            {
                idle.CancelAfter(IdleTimeout);
                int n;
                try
                {
                    n = await body.ReadAsync(buffer, idle.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException e) when (!ct.IsCancellationRequested)
                {
                    throw Fail(asset, url, $"no data for {IdleTimeout.TotalSeconds:0} s after {done} bytes; the partial file '{part}' is kept, fetch again to resume", e);
                }
                catch (Exception e) when (e is IOException or HttpRequestException)
                {
                    throw Fail(asset, url, $"connection lost after {done} bytes ({e.Message}); the partial file '{part}' is kept, fetch again to resume", e);
                }
                if (n == 0) break;
                // Disk errors while writing are not network errors: they pass through as they are.
                await file.WriteAsync(buffer.AsMemory(0, n), ct).ConfigureAwait(false);
                done += n;
                progress?.Report((done, total));
            }
        }
        if (total is long expected && done != expected)
            throw Fail(asset, url, $"received {done} of {expected} bytes; the partial file '{part}' is kept, fetch again to resume");
    }

    static AssetDownloadException Fail(ModelAsset asset, Uri url, string what, Exception? inner = null) =>
        new($"Download of '{asset.FileName}' from {url} failed: {what}.", inner);

    static bool SameHash(string actual, string expected) => string.Equals(actual, expected.Trim(), StringComparison.OrdinalIgnoreCase);

    static async Task<string> Sha256Async(string path, CancellationToken ct)
    {
        await using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, useAsync: true);
        return Convert.ToHexStringLower(await SHA256.HashDataAsync(stream, ct).ConfigureAwait(false));
    }

    static HttpClient CreateClient()
    {
        var handler = new SocketsHttpHandler
        {
            ConnectTimeout = TimeSpan.FromSeconds(30),
            AllowAutoRedirect = true, // GitHub release and raw URLs redirect to their CDN
            AutomaticDecompression = DecompressionMethods.None, // byte ranges must refer to the file itself
        };
        var client = new HttpClient(handler) { Timeout = Timeout.InfiniteTimeSpan };
        client.DefaultRequestHeaders.UserAgent.ParseAdd("hfdiff-models-fetch/1.0");
        return client;
    }

    public void Dispose()
    {
        if (_ownsHttp) _http.Dispose();
    }
}
