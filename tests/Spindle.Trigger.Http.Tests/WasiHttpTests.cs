using System.Net;
using System.Text;

namespace Spindle.Trigger.Http.Tests;

public sealed class HttpProbeServer : JsGuestServer
{
    protected override string Guest => "http-probe";

    protected override TimeSpan RequestTimeout => TimeSpan.FromSeconds(3);
}

// Issue #9: a fetch-event JavaScript app built with j2w (tests/guests/http-probe), exporting
// wasi:http/incoming-handler@0.2.3, served through the trigger.
public sealed class WasiHttpTests(HttpProbeServer fixture) : IClassFixture<HttpProbeServer>
{
    private readonly ProbeServer _server = fixture.Server;

    [Fact]
    public async Task Method_target_headers_and_body_reach_the_guest()
    {
        using var request = new HttpRequestMessage(HttpMethod.Put, new Uri(_server.BaseUrl, "/echo?q=1")) { Content = new ByteArrayContent("payload"u8.ToArray()) };
        request.Headers.Add("x-probe", "yes");
        request.Headers.Add("spin-path-info", "/forged");
        using var response = await _server.Client.SendAsync(request, TestContext.Current.CancellationToken);
        var body = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var lines = body.Split('\n');
        Assert.Equal(["PUT", "/echo?q=1"], lines[..2]);
        Assert.Contains("x-probe: yes", lines);
        Assert.Contains("spin-path-info: /echo", lines);
        Assert.DoesNotContain("spin-path-info: /forged", lines);
        Assert.EndsWith("\n\npayload", body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_megabyte_body_is_echoed_byte_for_byte()
    {
        var bytes = new byte[1024 * 1024];
        new Random(9).NextBytes(bytes);
        using var response = await _server.Client.PostAsync(new Uri(_server.BaseUrl, "/echo-body"), new ByteArrayContent(bytes), TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(bytes, await response.Content.ReadAsByteArrayAsync(TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task Two_thousand_chunks_stream_in_order()
    {
        using var response = await _server.Client.GetAsync(new Uri(_server.BaseUrl, "/stream?n=2000"), HttpCompletionOption.ResponseHeadersRead, TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.True(response.Headers.TransferEncodingChunked, "a streamed body has no length up front");
        var expected = new StringBuilder();
        for (var i = 0; i < 2000; i++)
        {
            expected.Append(System.Globalization.CultureInfo.InvariantCulture, $"chunk {i}\n");
        }

        Assert.Equal(expected.ToString(), await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
    }

    [Theory]
    [InlineData(201)]
    [InlineData(404)]
    [InlineData(418)]
    [InlineData(503)]
    public async Task Status_codes_pass_through(int code)
    {
        var (status, body) = await _server.GetAsync($"/status?code={code}");
        Assert.Equal((HttpStatusCode)code, status);
        Assert.Equal("ok", body);
    }

    [Fact]
    public async Task Response_headers_pass_through()
    {
        using var response = await _server.Client.GetAsync(new Uri(_server.BaseUrl, "/headers"), TestContext.Current.CancellationToken);
        Assert.Equal(["value"], response.Headers.GetValues("x-single"));
        Assert.Equal("one, two", string.Join(", ", response.Headers.GetValues("x-multi")));
    }

    [Fact]
    public async Task A_handler_that_fails_before_its_body_answers_500_and_the_next_request_is_served()
    {
        Assert.Equal(HttpStatusCode.InternalServerError, (await _server.GetAsync("/throw")).Status);
        Assert.Equal((HttpStatusCode.OK, "ok"), await _server.GetAsync("/status?code=200"));
    }

    [Fact]
    public async Task A_trap_after_the_response_started_cuts_the_response_off()
    {
        using var response = await _server.Client.GetAsync(new Uri(_server.BaseUrl, "/loop-mid-body"), HttpCompletionOption.ResponseHeadersRead, TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        await Assert.ThrowsAnyAsync<Exception>(async () => await response.Content.ReadAsByteArrayAsync(TestContext.Current.CancellationToken));
        Assert.Equal((HttpStatusCode.OK, "ok"), await _server.GetAsync("/status?code=200"));
    }

    [Fact]
    public async Task Every_request_gets_a_fresh_instance()
    {
        // The runtime answers one request per instance; Spindle must never reuse one.
        for (var i = 0; i < 5; i++)
        {
            Assert.Equal((HttpStatusCode.OK, "ok"), await _server.GetAsync("/status?code=200"));
        }
    }

    [Fact]
    public async Task Any_method_reaches_a_wasi_http_handler()
    {
        using var request = new HttpRequestMessage(new HttpMethod("PROPFIND"), new Uri(_server.BaseUrl, "/echo"));
        using var response = await _server.Client.SendAsync(request, TestContext.Current.CancellationToken);
        Assert.StartsWith("PROPFIND\n", await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken), StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_outbound_request_is_denied_without_a_connection()
    {
        // This component was given no allowed_outbound_hosts, so every outgoing request is HTTP-request-denied.
        using var listener = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        var (status, body) = await _server.GetAsync($"/fetch?url=http://127.0.0.1:{port}/");
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.StartsWith("failed:", body, StringComparison.Ordinal);
        Assert.False(listener.Pending(), "the guest's request reached the server");
    }
}
