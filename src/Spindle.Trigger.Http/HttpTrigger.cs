using System.Net;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Spindle.Host;

namespace Spindle.Trigger.Http;

/// <summary>
/// Serves an application's HTTP routes on Kestrel. Each request is matched to a route, handed to its component's
/// <c>handle-http-request</c> in a fresh instance, and answered with what the guest returned; a guest failure is a
/// 500 and a full instance cap a 503, while the server keeps serving.
/// </summary>
public sealed class HttpTrigger : IAsyncDisposable
{
    // Chunked bodies are read in pieces below the large object heap's threshold (85,000 bytes).
    private const int BodyPieceBytes = 64 * 1024;

    // Must hold a request line and all headers (Kestrel's limits: 8 KiB and 32 KiB).
    private const long RequestReadAheadBytes = 64 * 1024;

    private static readonly HashSet<string> HopByHopHeaders = new(StringComparer.OrdinalIgnoreCase)
    {
        "connection", "keep-alive", "transfer-encoding", "upgrade", "proxy-connection", "content-length",
    };

    private readonly WebApplication _app;
    private readonly HttpRouter _router;
    private readonly ILogger _logger;
    private readonly int _maxInstances;
    private readonly long _maxRequestBodyBytes;
    private readonly byte[]? _chainingKey;
    private readonly Dictionary<string, GuestComponent> _chainTargets;
    private readonly LargeBufferCollector _largeBuffers = new(TimeSpan.FromMilliseconds(500));

    /// <summary>Builds the server; call <see cref="StartAsync"/> to listen.</summary>
    /// <exception cref="ArgumentException">Two routes have the same pattern.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><see cref="HttpTriggerOptions.MaxRequestBodyBytes"/> is negative or above <see cref="HttpTriggerOptions.MaxRequestBodyBytesLimit"/>.</exception>
    public HttpTrigger(HttpTriggerOptions options, IReadOnlyList<HttpRoute> routes, ILoggerFactory loggerFactory, int maxInstances)
        : this(options, routes, loggerFactory, maxInstances, null)
    {
    }

    /// <summary>Builds the server, with the components service-chained requests may reach; call <see cref="StartAsync"/> to listen.</summary>
    /// <exception cref="ArgumentException">Two routes have the same pattern.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><see cref="HttpTriggerOptions.MaxRequestBodyBytes"/> is negative or above <see cref="HttpTriggerOptions.MaxRequestBodyBytesLimit"/>.</exception>
    /// <param name="options">Where and how to listen.</param>
    /// <param name="routes">The public routes.</param>
    /// <param name="loggerFactory">For the trigger's log.</param>
    /// <param name="maxInstances">The engine's cap, for messages.</param>
    /// <param name="chainTargets">
    /// The components service-chained requests may reach (every component with an HTTP trigger, private routes
    /// included), by <see cref="GuestComponent.Id"/>; see <see cref="HttpTriggerOptions.ServiceChainingKey"/>.
    /// </param>
    public HttpTrigger(HttpTriggerOptions options, IReadOnlyList<HttpRoute> routes, ILoggerFactory loggerFactory, int maxInstances, IReadOnlyCollection<GuestComponent>? chainTargets)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(routes);
        ArgumentNullException.ThrowIfNull(loggerFactory);
        ArgumentOutOfRangeException.ThrowIfNegative(options.MaxRequestBodyBytes, nameof(options));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(options.MaxRequestBodyBytes, HttpTriggerOptions.MaxRequestBodyBytesLimit, nameof(options));
        var duplicate = routes.GroupBy(r => r.Pattern, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null)
        {
            throw new ArgumentException($"route '{duplicate.Key}' is served by more than one component: {string.Join(", ", duplicate.Select(r => r.Component.Id))}", nameof(routes));
        }

        Routes = routes;
        _router = new HttpRouter(routes);
        _logger = loggerFactory.CreateLogger<HttpTrigger>();
        _maxInstances = maxInstances;
        _maxRequestBodyBytes = options.MaxRequestBodyBytes;
        _chainingKey = options.ServiceChainingKey is { } key ? Encoding.UTF8.GetBytes(key) : null;
        _chainTargets = (chainTargets ?? []).ToDictionary(c => c.Id, StringComparer.Ordinal);

        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.Services.AddSingleton(loggerFactory);

        // What a connection reads ahead of the app is held in Kestrel's pinned block pool, which keeps its peak size:
        // at the default 1 MiB per connection, a burst of 64 uploads (even refused ones, which Kestrel drains) left
        // 50 MiB behind.
        builder.WebHost.UseSockets(sockets => sockets.MaxReadBufferSize = RequestReadAheadBytes);
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            // Bounds the bodies Kestrel drains unread (after a 503 or 413); the trigger counts those it reads itself.
            kestrel.Limits.MaxRequestBodySize = options.MaxRequestBodyBytes;

            kestrel.Limits.MaxRequestBufferSize = RequestReadAheadBytes;

            // wasi:http header values are bytes, passed through as Latin-1 characters; written back byte for byte.
            kestrel.ResponseHeaderEncodingSelector = _ => System.Text.Encoding.Latin1;
            kestrel.Listen(options.Listen);
        });
        _app = builder.Build();
        _app.Run(HandleAsync);
    }

    /// <summary>The routes served.</summary>
    public IReadOnlyList<HttpRoute> Routes { get; }

    /// <summary>
    /// The address bound, such as <c>http://127.0.0.1:3000</c>, or <c>http://[::]:3000</c> when listening on every
    /// interface; set by <see cref="StartAsync"/>, with the port chosen when <see cref="HttpTriggerOptions.Listen"/> had 0.
    /// </summary>
    public Uri? BaseUrl { get; private set; }

    /// <summary>Starts listening.</summary>
    /// <exception cref="IOException">The address is in use or cannot be bound.</exception>
    public async Task StartAsync(CancellationToken cancellationToken = default)
    {
        await _app.StartAsync(cancellationToken).ConfigureAwait(false);
        var address = _app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.First();
        BaseUrl = new Uri(address);
    }

    /// <summary>Stops accepting requests and waits for those in flight.</summary>
    public Task StopAsync(CancellationToken cancellationToken = default) => _app.StopAsync(cancellationToken);

    /// <inheritdoc/>
    public ValueTask DisposeAsync() => _app.DisposeAsync();

    private async Task HandleAsync(HttpContext context)
    {
        var request = context.Request;
        var rawTarget = context.Features.Get<IHttpRequestFeature>()?.RawTarget ?? (request.Path + request.QueryString).ToString();
        var queryAt = rawTarget.IndexOf('?', StringComparison.Ordinal);
        var path = queryAt < 0 ? rawTarget : rawTarget[..queryAt];

        HttpRoute? route;
        if (request.Headers.Remove(WasmEngine.ServiceChainingHeader, out var chained) && ChainTarget(chained.ToString()) is { } target)
        {
            // Service chaining, as Spin does it: the component named gets the request on a route that is its exact path.
            if (!_chainTargets.TryGetValue(target, out var component))
            {
                Log.ChainTargetUnknown(_logger, target, path);
                context.Response.StatusCode = StatusCodes.Status404NotFound;
                await context.Response.WriteAsync($"no component '{target}' of this application has an HTTP trigger\n", context.RequestAborted).ConfigureAwait(false);
                return;
            }

            route = new HttpRoute(path.StartsWith('/') ? path : "/", component);
        }
        else
        {
            route = _router.Match(path);
        }

        if (route is null)
        {
            context.Response.StatusCode = StatusCodes.Status404NotFound;
            return;
        }

        if (!route.Component.ExportsWasiHttpHandler && !HttpGuestRequest.Methods.Contains(request.Method, StringComparer.Ordinal))
        {
            context.Response.StatusCode = StatusCodes.Status405MethodNotAllowed;
            return;
        }

        // Admission comes before the body is read: a request refused with 503 or 413 never has its body buffered,
        // so at most MaxConcurrentInstances bodies are held at once.
        if (request.ContentLength > _maxRequestBodyBytes)
        {
            await RefuseTooLargeAsync(context).ConfigureAwait(false);
            return;
        }

        using var lease = route.Component.TryReserveInstance();
        if (lease is null)
        {
            Log.Overloaded(_logger, request.Method, path, _maxInstances);
            context.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
            context.Response.Headers.RetryAfter = "1";
            await context.Response.WriteAsync("too many requests: every guest instance is busy; retry shortly\n", context.RequestAborted).ConfigureAwait(false);
            return;
        }

        if (route.Component.ExportsWasiHttpHandler)
        {
            await ServeWasiHttpAsync(context, route, lease, rawTarget, path).ConfigureAwait(false);
        }
        else
        {
            await ServeAsync(context, route, lease, rawTarget, path).ConfigureAwait(false);
        }
    }

    // wasi:http: the guest reads the body as it arrives and its response streams to the client as it writes it. A
    // failure before the response starts is a 500; after, the connection is aborted so the client sees a cut-off
    // response, never a complete-looking one.
    private async Task ServeWasiHttpAsync(HttpContext context, HttpRoute route, GuestInstanceLease lease, string rawTarget, string path)
    {
        var request = context.Request;
        var guestRequest = new WasiHttpGuestRequest(
            request.Method,
            rawTarget,
            request.Scheme,
            request.Host.HasValue ? request.Host.Value : null,
            GuestRequestHeaders.Build(context, route, rawTarget, path, entryPerValue: true),
            request.BodyReader,
            _maxRequestBodyBytes);
        WasiHttpGuestResponse response;
        try
        {
            response = await route.Component.HandleWasiHttpAsync(guestRequest, lease).ConfigureAwait(false);
        }
        catch (GuestInvocationException ex)
        {
            Log.GuestFailed(_logger, ex, request.Method, path, ex.ComponentId, ex.Failure.ToString(), ex.Message);
            await WriteComponentFailedAsync(context).ConfigureAwait(false);
            return;
        }

        try
        {
            if (!StartWasiHttpResponse(context, route, response))
            {
                await response.Body.CompleteAsync().ConfigureAwait(false);
                return;
            }

            var bodyAllowed = response.Status is >= 200 and not 204 and not 304 && !HttpMethods.IsHead(request.Method);
            while (true)
            {
                var read = await response.Body.ReadAsync(context.RequestAborted).ConfigureAwait(false);
                if (bodyAllowed)
                {
                    foreach (var segment in read.Buffer)
                    {
                        await context.Response.BodyWriter.WriteAsync(segment, context.RequestAborted).ConfigureAwait(false);
                    }
                }

                response.Body.AdvanceTo(read.Buffer.End);
                if (read.IsCompleted)
                {
                    break;
                }
            }

            await response.Body.CompleteAsync().ConfigureAwait(false);
        }
        catch (IOException ex) when (!context.RequestAborted.IsCancellationRequested && !context.Response.HasStarted)
        {
            // The guest failed before a byte of its response left: the client can still get a plain 500.
            await response.Body.CompleteAsync(ex).ConfigureAwait(false);
            Log.ResponseNotStarted(_logger, ex, request.Method, path, route.Component.Id, ex.Message);
            context.Response.Headers.Clear();
            await WriteComponentFailedAsync(context).ConfigureAwait(false);
        }
        catch (IOException ex) when (!context.RequestAborted.IsCancellationRequested)
        {
            // The guest failed or returned mid-body: cut the connection rather than end the response cleanly.
            Log.ResponseAborted(_logger, ex, request.Method, path, route.Component.Id, ex.Message);
            await response.Body.CompleteAsync(ex).ConfigureAwait(false);
            context.Abort();
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
            // The client went away: the guest's next write fails, and its instance ends.
            await response.Body.CompleteAsync(new IOException("the client closed the connection")).ConfigureAwait(false);
        }

        try
        {
            await response.Completion.ConfigureAwait(false);
        }
        catch (GuestInvocationException ex)
        {
            Log.GuestFailed(_logger, ex, request.Method, path, ex.ComponentId, ex.Failure.ToString(), ex.Message);
        }
    }

    // The answer a client gets when its request's component failed (the log says why, the client does not).
    // The component id of a chaining header carrying this trigger's key; null for any other value (a client that
    // set the header itself), so the request is routed as usual.
    private string? ChainTarget(string value)
    {
        var space = value.IndexOf(' ', StringComparison.Ordinal);
        if (_chainingKey is null || space < 0)
        {
            return null;
        }

        var key = Encoding.UTF8.GetBytes(value[..space]);
        return CryptographicOperations.FixedTimeEquals(key, _chainingKey) ? value[(space + 1)..] : null;
    }

    private static Task WriteComponentFailedAsync(HttpContext context)
    {
        context.Response.StatusCode = StatusCodes.Status500InternalServerError;
        return context.Response.WriteAsync("internal server error: the component failed; see the server log\n", context.RequestAborted);
    }

    private bool StartWasiHttpResponse(HttpContext context, HttpRoute route, WasiHttpGuestResponse response)
    {
        // A final response needs a status of 200..999 here; 1xx cannot end a request.
        if (response.Status is < 200 or > 999)
        {
            Log.BadStatus(_logger, route.Component.Id, response.Status);
            context.Response.StatusCode = StatusCodes.Status500InternalServerError;
            return false;
        }

        context.Response.StatusCode = response.Status;

        // Values are bytes; Latin-1 maps each byte to one character, and Kestrel writes them back as Latin-1.
        return AppendHeaders(
            context,
            route,
            response.Headers.Select(h => new KeyValuePair<string, string>(h.Key, System.Text.Encoding.Latin1.GetString(h.Value))),
            keepContentLength: true);
    }

    // Copies a guest's headers to the response, without hop-by-hop ones (a wasi:http body may keep the content-length
    // it set). An invalid one is a guest bug, not a host one: the answer becomes a 500, instead of Kestrel failing the
    // connection, and false is returned.
    private bool AppendHeaders(HttpContext context, HttpRoute route, IEnumerable<KeyValuePair<string, string>> headers, bool keepContentLength)
    {
        foreach (var (name, value) in headers)
        {
            if (HopByHopHeaders.Contains(name) && !(keepContentLength && string.Equals(name, "content-length", StringComparison.OrdinalIgnoreCase)))
            {
                continue;
            }

            if (!IsValidHeader(name, value))
            {
                Log.BadHeader(_logger, route.Component.Id, name);
                context.Response.Headers.Clear();
                context.Response.StatusCode = StatusCodes.Status500InternalServerError;
                return false;
            }

            context.Response.Headers.Append(name, value);
        }

        return true;
    }

    // Reads the body in the slot the lease holds, runs the guest and writes its response.
    private async Task ServeAsync(HttpContext context, HttpRoute route, GuestInstanceLease lease, string rawTarget, string path)
    {
        var request = context.Request;
        byte[] body;
        try
        {
            body = await ReadBodyAsync(context, _maxRequestBodyBytes, context.RequestAborted).ConfigureAwait(false);
        }
        catch (BadHttpRequestException ex) when (ex.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            await RefuseTooLargeAsync(context).ConfigureAwait(false);
            return;
        }
        catch (BadHttpRequestException ex)
        {
            context.Response.StatusCode = ex.StatusCode;
            return;
        }
        catch (Exception ex) when (ex is IOException or OperationCanceledException && context.RequestAborted.IsCancellationRequested)
        {
            return; // the client went away mid-body; there is no one to answer
        }

        var largeRequest = _largeBuffers.TryEnter(body.Length);
        var largeResponse = false;
        try
        {
            var guestRequest = new HttpGuestRequest(request.Method, rawTarget, GuestRequestHeaders.Build(context, route, rawTarget, path), body);
            HttpGuestResponse response;
            try
            {
                response = await route.Component.HandleHttpAsync(guestRequest, lease).ConfigureAwait(false);
            }
            catch (GuestInvocationException ex)
            {
                Log.GuestFailed(_logger, ex, request.Method, path, ex.ComponentId, ex.Failure.ToString(), ex.Message);
                await WriteComponentFailedAsync(context).ConfigureAwait(false);
                return;
            }

            largeResponse = _largeBuffers.TryEnter(response.Body?.Length ?? 0);
            await WriteResponseAsync(context, route, response).ConfigureAwait(false);
        }
        finally
        {
            // Counted until the response is written: only then are the body arrays garbage.
            if (largeRequest)
            {
                _largeBuffers.Leave();
            }

            if (largeResponse)
            {
                _largeBuffers.Leave();
            }
        }
    }

    private async Task WriteResponseAsync(HttpContext context, HttpRoute route, HttpGuestResponse response)
    {
        // Spin turns a status outside 100..=600 into 500; Kestrel itself refuses anything above 999.
        if (response.Status is < 100 or > 600)
        {
            Log.BadStatus(_logger, route.Component.Id, response.Status);
            context.Response.StatusCode = StatusCodes.Status500InternalServerError;
            return;
        }

        context.Response.StatusCode = response.Status;
        if (!AppendHeaders(context, route, response.Headers, keepContentLength: false))
        {
            return;
        }

        // 1xx, 204 and 304 responses and answers to HEAD carry no body, whatever the guest returned.
        var bodyAllowed = response.Status is >= 200 and not 204 and not 304 && !HttpMethods.IsHead(context.Request.Method);
        if (bodyAllowed && response.Body is { Length: > 0 } bytes)
        {
            context.Response.ContentLength = bytes.Length;
            await context.Response.Body.WriteAsync(bytes, context.RequestAborted).ConfigureAwait(false);
        }
    }

    // RFC 9110: a field name is a token; a value has no control characters but tab.
    private static bool IsValidHeader(string name, string value)
    {
        if (name.Length == 0)
        {
            return false;
        }

        foreach (var c in name)
        {
            if (c <= ' ' || c >= 0x7F || "\"(),/:;<=>?@[\\]{}".Contains(c, StringComparison.Ordinal))
            {
                return false;
            }
        }

        foreach (var c in value)
        {
            if ((c < ' ' && c != '\t') || c == 0x7F)
            {
                return false;
            }
        }

        return true;
    }

    private async Task RefuseTooLargeAsync(HttpContext context)
    {
        // Not reading the body: closing the connection spares the client uploading the rest of it.
        context.Response.StatusCode = StatusCodes.Status413PayloadTooLarge;
        context.Response.Headers.Connection = "close";
        await context.Response.WriteAsync($"request body too large: this server accepts at most {_maxRequestBodyBytes} bytes\n", context.RequestAborted).ConfigureAwait(false);
    }

    // Reads the whole body into an array of exactly its size: the guest needs it in one piece, and an exact array
    // is garbage as soon as the response is written (no pool keeps it, nothing pins it).
    private static async Task<byte[]> ReadBodyAsync(HttpContext context, long limit, CancellationToken cancellationToken)
    {
        var request = context.Request;
        if (context.Features.Get<IHttpRequestBodyDetectionFeature>()?.CanHaveBody == false || request.ContentLength == 0)
        {
            return [];
        }

        if (request.ContentLength is { } length)
        {
            // The caller has refused a length over the limit, which is at most 1 GiB.
            var body = GC.AllocateUninitializedArray<byte>(checked((int)length));
            await request.Body.ReadExactlyAsync(body, cancellationToken).ConfigureAwait(false);
            return body;
        }

        // Chunked: collect bounded pieces, then copy them once into the exact array. Kestrel counts the chunk
        // framing against its limit, so a body of exactly the limit would be refused: count the body itself here.
        if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } kestrelLimit)
        {
            kestrelLimit.MaxRequestBodySize = null;
        }

        var pieces = new List<byte[]>();
        var total = 0;
        while (true)
        {
            var piece = new byte[BodyPieceBytes];
            var filled = await request.Body.ReadAtLeastAsync(piece, piece.Length, throwOnEndOfStream: false, cancellationToken).ConfigureAwait(false);
            if (filled == 0)
            {
                break;
            }

            pieces.Add(filled == piece.Length ? piece : piece[..filled]);
            total = checked(total + filled);
            if (total > limit)
            {
                throw new BadHttpRequestException($"request body over {limit} bytes", StatusCodes.Status413PayloadTooLarge);
            }

            if (filled < piece.Length)
            {
                break;
            }
        }

        var all = GC.AllocateUninitializedArray<byte>(total);
        var at = 0;
        foreach (var piece in pieces)
        {
            piece.CopyTo(all, at);
            at += piece.Length;
        }

        return all;
    }
}
