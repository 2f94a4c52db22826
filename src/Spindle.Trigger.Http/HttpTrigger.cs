using System.Net;
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
    private static readonly HashSet<string> HopByHopHeaders = new(StringComparer.OrdinalIgnoreCase)
    {
        "connection", "keep-alive", "transfer-encoding", "upgrade", "proxy-connection", "content-length",
    };

    private readonly WebApplication _app;
    private readonly HttpRouter _router;
    private readonly ILogger _logger;
    private readonly int _maxInstances;

    /// <summary>Builds the server; call <see cref="StartAsync"/> to listen.</summary>
    /// <exception cref="ArgumentException">Two routes have the same pattern.</exception>
    public HttpTrigger(HttpTriggerOptions options, IReadOnlyList<HttpRoute> routes, ILoggerFactory loggerFactory, int maxInstances)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(routes);
        ArgumentNullException.ThrowIfNull(loggerFactory);
        var duplicate = routes.GroupBy(r => r.Pattern, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null)
        {
            throw new ArgumentException($"route '{duplicate.Key}' is served by more than one component: {string.Join(", ", duplicate.Select(r => r.Component.Id))}", nameof(routes));
        }

        Routes = routes;
        _router = new HttpRouter(routes);
        _logger = loggerFactory.CreateLogger<HttpTrigger>();
        _maxInstances = maxInstances;

        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.Services.AddSingleton(loggerFactory);
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            kestrel.Limits.MaxRequestBodySize = options.MaxRequestBodyBytes;
            kestrel.Listen(options.Listen);
        });
        _app = builder.Build();
        _app.Run(HandleAsync);
    }

    /// <summary>The routes served.</summary>
    public IReadOnlyList<HttpRoute> Routes { get; }

    /// <summary>The URL the server listens on, such as <c>http://127.0.0.1:3000</c>; set by <see cref="StartAsync"/>.</summary>
    public Uri? BaseUrl { get; private set; }

    /// <summary>Starts listening.</summary>
    /// <exception cref="IOException">The address is in use or cannot be bound.</exception>
    public async Task StartAsync(CancellationToken cancellationToken = default)
    {
        await _app.StartAsync(cancellationToken).ConfigureAwait(false);
        var address = _app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.First();
        BaseUrl = new Uri(address.Replace("[::]", "127.0.0.1", StringComparison.Ordinal));
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

        var route = _router.Match(path);
        if (route is null)
        {
            context.Response.StatusCode = StatusCodes.Status404NotFound;
            return;
        }

        if (!HttpGuestRequest.Methods.Contains(request.Method, StringComparer.Ordinal))
        {
            context.Response.StatusCode = StatusCodes.Status405MethodNotAllowed;
            return;
        }

        byte[] body;
        try
        {
            body = await ReadBodyAsync(request, context.RequestAborted).ConfigureAwait(false);
        }
        catch (BadHttpRequestException ex)
        {
            context.Response.StatusCode = ex.StatusCode;
            return;
        }

        var guestRequest = new HttpGuestRequest(request.Method, rawTarget, Headers(context, route, rawTarget, path), body);
        var invocation = route.Component.TryHandleHttpAsync(guestRequest);
        if (invocation is null)
        {
            Log.Overloaded(_logger, request.Method, path, _maxInstances);
            context.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
            context.Response.Headers.RetryAfter = "1";
            await context.Response.WriteAsync("too many requests: every guest instance is busy; retry shortly\n", context.RequestAborted).ConfigureAwait(false);
            return;
        }

        HttpGuestResponse response;
        try
        {
            response = await invocation.ConfigureAwait(false);
        }
        catch (GuestInvocationException ex)
        {
            Log.GuestFailed(_logger, ex, request.Method, path, ex.ComponentId, ex.Failure.ToString(), ex.Message);
            context.Response.StatusCode = StatusCodes.Status500InternalServerError;
            await context.Response.WriteAsync("internal server error: the component failed; see the server log\n", context.RequestAborted).ConfigureAwait(false);
            return;
        }

        await WriteResponseAsync(context, route, response).ConfigureAwait(false);
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
        foreach (var (name, value) in response.Headers)
        {
            if (HopByHopHeaders.Contains(name))
            {
                continue;
            }

            if (!IsValidHeader(name, value))
            {
                // A guest bug, not a host one: answer 500 instead of letting Kestrel fail the connection.
                Log.BadHeader(_logger, route.Component.Id, name);
                context.Response.Headers.Clear();
                context.Response.StatusCode = StatusCodes.Status500InternalServerError;
                return;
            }

            context.Response.Headers.Append(name, value);
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

    private static async Task<byte[]> ReadBodyAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        if (request.ContentLength == 0)
        {
            return [];
        }

        using var buffer = request.ContentLength is { } length and > 0 ? new MemoryStream((int)Math.Min(length, int.MaxValue)) : new MemoryStream();
        await request.Body.CopyToAsync(buffer, cancellationToken).ConfigureAwait(false);
        return buffer.ToArray();
    }

    // The request's own headers (names in lower case, as Spin passes them) plus Spin's spin-* headers.
    private static List<KeyValuePair<string, string>> Headers(HttpContext context, HttpRoute route, string rawTarget, string path)
    {
        var headers = new List<KeyValuePair<string, string>>(context.Request.Headers.Count + 7);
        foreach (var (name, values) in context.Request.Headers)
        {
            headers.Add(new(name.ToLowerInvariant(), values.ToString()));
        }

        var request = context.Request;
        var connection = context.Connection;
        var client = connection.RemoteIpAddress is null ? string.Empty : new IPEndPoint(connection.RemoteIpAddress, connection.RemotePort).ToString();
        headers.Add(new("spin-full-url", $"{request.Scheme}://{request.Host}{rawTarget}"));
        headers.Add(new("spin-path-info", route.PathInfo(path)));
        headers.Add(new("spin-matched-route", route.Pattern));
        headers.Add(new("spin-base-path", "/"));
        headers.Add(new("spin-raw-component-route", route.Pattern));
        headers.Add(new("spin-component-route", route.BasePath));
        headers.Add(new("spin-client-addr", client));
        return headers;
    }
}
