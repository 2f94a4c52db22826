using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Spindle.Configuration;

namespace Spindle.Trigger.Http.Tests;

/// <summary>
/// A plain Kestrel server the guest's outbound requests go to: it counts what reaches it and what was cut off.
/// </summary>
public sealed class UpstreamServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private int _requests;
    private int _aborted;

    private UpstreamServer(WebApplication app) => _app = app;

    public int Port { get; private set; }

    /// <summary>Requests that reached the server.</summary>
    public int Requests => Volatile.Read(ref _requests);

    /// <summary>Requests whose client went away before the answer (the /hang route).</summary>
    public int Aborted => Volatile.Read(ref _aborted);

    /// <summary>The <c>x-probe</c> header of the latest request.</summary>
    public string? LastProbeHeader { get; private set; }

    public static async Task<UpstreamServer> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(k => k.Listen(IPAddress.Loopback, 0));
        var app = builder.Build();
        var server = new UpstreamServer(app);
        app.Use(async (context, next) =>
        {
            Interlocked.Increment(ref server._requests);
            server.LastProbeHeader = context.Request.Headers["x-probe"];
            await next(context);
        });
        app.MapGet("/hello", (HttpContext context) =>
        {
            context.Response.Headers["x-upstream"] = "hello";
            return "hello from upstream";
        });
        app.MapPost("/echo", async (HttpContext context) =>
        {
            context.Response.Headers["x-upstream"] = "echo";
            context.Response.ContentType = context.Request.ContentType;
            await context.Request.Body.CopyToAsync(context.Response.Body, context.RequestAborted);
        });
        app.MapGet("/status/{code:int}", (int code) => Results.Text("status", statusCode: code));
        app.MapGet("/hang", async (HttpContext context) =>
        {
            try
            {
                await Task.Delay(Timeout.Infinite, context.RequestAborted);
            }
            catch (OperationCanceledException)
            {
                Interlocked.Increment(ref server._aborted);
            }
        });
        await app.StartAsync(TestContext.Current.CancellationToken);
        server.Port = new Uri(app.Urls.First()).Port;
        return server;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync(CancellationToken.None);
        await _app.DisposeAsync();
    }
}

/// <summary>
/// http-probe with <c>allowed_outbound_hosts = ["http://127.0.0.1:PORT", "http://127.0.0.1:CLOSED"]</c>: the upstream
/// server's port, and a port where nothing listens.
/// </summary>
public sealed class OutboundProbeServer : JsGuestServer
{
    public UpstreamServer Upstream { get; private set; } = null!;

    /// <summary>An allowed port where nothing listens.</summary>
    public int ClosedPort { get; private set; }

    protected override string Guest => "http-probe";

    protected override TimeSpan RequestTimeout => TimeSpan.FromSeconds(3);

    protected override Func<Uri, bool>? AllowOutbound => AllowedOutboundHosts.Parse(
        [$"http://127.0.0.1:{Upstream.Port}", $"http://127.0.0.1:{ClosedPort}"],
        "spin.toml",
        "component.probe.allowed_outbound_hosts").Allows;

    protected override bool AllowSelf => true;

    public override async ValueTask InitializeAsync()
    {
        Upstream = await UpstreamServer.StartAsync();
        using (var listener = new TcpListener(IPAddress.Loopback, 0))
        {
            listener.Start();
            ClosedPort = ((IPEndPoint)listener.LocalEndpoint).Port;
        }

        await base.InitializeAsync();
    }

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        await Upstream.DisposeAsync();
    }
}

// Issue #9 item 3: wasi:http/outgoing-handler sends what allowed_outbound_hosts allows (Spin's pattern rules, here
// through Spindle.Configuration's matcher), through the host's shared client, and denies the rest before connecting.
public sealed class OutboundHttpTests(OutboundProbeServer fixture) : IClassFixture<OutboundProbeServer>
{
    private readonly ProbeServer _server = fixture.Server;
    private readonly UpstreamServer _upstream = fixture.Upstream;

    // Spin's self requests: with http://self allowed, a request to self.alt (or without an authority) is sent to the
    // application itself, here to the probe's own /echo route, which shows the path and the headers it received.
    [Fact]
    public async Task A_request_to_self_reaches_the_application_itself()
    {
        var before = _upstream.Requests;
        using var response = await _server.Client.GetAsync(new Uri(_server.BaseUrl, "/proxy?url=http://self.alt/echo?from=self"), TestContext.Current.CancellationToken);
        var body = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{response.StatusCode}: {body}");
        Assert.Contains("\n/echo?from=self\n", body, StringComparison.Ordinal);
        Assert.Contains("x-probe: proxied", body, StringComparison.Ordinal);
        Assert.Contains($"host: 127.0.0.1:{_server.BaseUrl.Port}", body, StringComparison.Ordinal);
        Assert.Equal(before, _upstream.Requests);
    }

    [Fact]
    public async Task An_allowed_request_reaches_the_server_and_its_answer_reaches_the_guest()
    {
        using var response = await _server.Client.GetAsync(new Uri(_server.BaseUrl, $"/proxy?url=http://127.0.0.1:{_upstream.Port}/hello"), TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("hello from upstream", await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
        Assert.Equal("hello", response.Headers.GetValues("x-upstream").Single());
        Assert.Equal("proxied", _upstream.LastProbeHeader);
    }

    [Fact]
    public async Task A_megabyte_goes_out_and_comes_back_byte_for_byte()
    {
        var bytes = new byte[1024 * 1024];
        new Random(3).NextBytes(bytes);
        using var content = new ByteArrayContent(bytes);
        content.Headers.ContentType = new("application/x-probe");
        using var response = await _server.Client.PostAsync(new Uri(_server.BaseUrl, $"/proxy?url=http://127.0.0.1:{_upstream.Port}/echo"), content, TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("echo", response.Headers.GetValues("x-upstream").Single());
        Assert.Equal(bytes, await response.Content.ReadAsByteArrayAsync(TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task The_upstream_status_reaches_the_guest()
    {
        using var response = await _server.Client.GetAsync(new Uri(_server.BaseUrl, $"/proxy?url=http://127.0.0.1:{_upstream.Port}/status/418"), TestContext.Current.CancellationToken);
        Assert.Equal((HttpStatusCode)418, response.StatusCode);
        Assert.Equal("418", response.Headers.GetValues("x-upstream-status").Single());
    }

    [Fact]
    public async Task A_request_to_an_origin_not_allowed_is_denied_before_any_connection()
    {
        // The same server by another name (localhost is not 127.0.0.1 in the list), and a listener on another port.
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var otherPort = ((IPEndPoint)listener.LocalEndpoint).Port;
        var before = _upstream.Requests;

        var (status, body) = await _server.GetAsync($"/proxy?url=http://localhost:{_upstream.Port}/hello");
        Assert.Equal(HttpStatusCode.BadGateway, status);
        Assert.StartsWith("failed:", body, StringComparison.Ordinal);
        (status, body) = await _server.GetAsync($"/proxy?url=https://127.0.0.1:{_upstream.Port}/hello");
        Assert.Equal(HttpStatusCode.BadGateway, status);
        (status, body) = await _server.GetAsync($"/proxy?url=http://127.0.0.1:{otherPort}/");
        Assert.Equal(HttpStatusCode.BadGateway, status);

        Assert.Equal(before, _upstream.Requests);
        Assert.False(listener.Pending(), "a denied request connected");
        Assert.Contains(_server.Log.Lines, l => l.Contains($"http://localhost:{_upstream.Port}", StringComparison.Ordinal) && l.Contains("allowed_outbound_hosts", StringComparison.Ordinal));
    }

    [Fact]
    public async Task An_allowed_origin_that_refuses_the_connection_is_an_error_for_the_guest()
    {
        var (status, body) = await _server.GetAsync($"/proxy?url=http://127.0.0.1:{fixture.ClosedPort}/");
        Assert.Equal(HttpStatusCode.BadGateway, status);
        Assert.StartsWith("failed:", body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_server_that_never_answers_ends_at_the_deadline_and_the_request_is_cancelled()
    {
        var aborted = _upstream.Aborted;
        var (status, _) = await _server.GetAsync($"/proxy?url=http://127.0.0.1:{_upstream.Port}/hang");
        Assert.Equal(HttpStatusCode.InternalServerError, status);

        // The instance's end cancels its outbound request: the upstream sees its client go away.
        using var wait = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        while (_upstream.Aborted == aborted)
        {
            await Task.Delay(20, wait.Token);
        }

        var (next, body) = await _server.GetAsync($"/proxy?url=http://127.0.0.1:{_upstream.Port}/hello");
        Assert.Equal(HttpStatusCode.OK, next);
        Assert.Equal("hello from upstream", body);
    }
}

/// <summary>The http-probe with outbound requests allowed to nowhere, not even to itself.</summary>
public sealed class SelfDeniedProbeServer : JsGuestServer
{
    protected override string Guest => "http-probe";
}

// Without http://self in allowed_outbound_hosts a request to the application itself is denied like any other, and
// the log says what to add.
public sealed class SelfRequestDeniedTests(SelfDeniedProbeServer fixture) : IClassFixture<SelfDeniedProbeServer>
{
    [Fact]
    public async Task A_request_to_self_without_http_self_allowed_is_denied_and_logged()
    {
        var (status, body) = await fixture.Server.GetAsync("/proxy?url=http://self.alt/echo");
        Assert.Equal(HttpStatusCode.BadGateway, status);
        Assert.StartsWith("failed:", body, StringComparison.Ordinal);
        Assert.Contains(fixture.Server.Log.Lines, l => l.Contains("\"http://self\"", StringComparison.Ordinal) && l.Contains("allowed_outbound_hosts", StringComparison.Ordinal));
    }
}
