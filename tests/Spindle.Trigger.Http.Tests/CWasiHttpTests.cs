using System.Net;
using System.Text;
using Spindle.Host;

namespace Spindle.Trigger.Http.Tests;

/// <summary>
/// The C wasi:http probe (tests/wasm/wasi-http-probe) on <c>/...</c> and the core-module kv-probe on
/// <c>/core/...</c>, one app sharing the <c>default</c> store.
/// </summary>
public sealed class CWasiHttpServer : IAsyncLifetime
{
    internal ProbeServer Server { get; private set; } = null!;

    public async ValueTask InitializeAsync() => Server = await ProbeServer.StartAsync(
        new HostOptions { RequestTimeout = TimeSpan.FromSeconds(3), MaxMemoryBytes = 64L * 1024 * 1024 },
        wasm: ProbeServer.Wasm("wasi-http-probe"),
        moreRoutes: [("/core/...", ProbeServer.ProbePath)]);

    public async ValueTask DisposeAsync() => await Server.DisposeAsync();
}

// Issue #9: a C component exporting wasi:http/incoming-handler@0.2.0 that calls wasi:http/types and wasi:io directly
// (no runtime between it and the WIT), served through the trigger.
public sealed class CWasiHttpTests(CWasiHttpServer fixture) : IClassFixture<CWasiHttpServer>
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(10);

    private readonly ProbeServer _server = fixture.Server;

    [Fact]
    public async Task Multi_valued_request_and_response_headers_travel_as_separate_lines_in_order()
    {
        using var raw = await RawHttp.ConnectAsync(_server.BaseUrl);
        await raw.SendAsync("GET /headers HTTP/1.1\r\nHost: probe\r\nx-m: one\r\nx-other: x\r\nx-m: two\r\nx-m: three, four\r\nConnection: close");
        var response = await raw.ReadToEndAsync(Wait);
        Assert.Equal(200, response.Status);
        Assert.Equal(["one", "two", "three, four"], response.Values("x-echo-x-m"));
        Assert.Equal(["x"], response.Values("x-echo-x-other"));
        Assert.Equal(["3"], response.Values("x-get-count")); // fields.get ignores the name's case
        Assert.Equal(["/headers"], response.Values("x-echo-spin-path-info"));
        Assert.Equal(["a=1", "b=2"], response.Values("set-cookie"));
        Assert.Equal(["1", "2"], response.Values("x-multi"));
    }

    [Fact]
    public async Task Invalid_names_and_values_and_forbidden_names_are_refused_with_their_header_error()
    {
        using var response = await _server.Client.GetAsync(new Uri(_server.BaseUrl, "/bad-header"), TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(
            """
            append x-fine: ok
            append bad name: invalid-syntax
            append bad value: invalid-syntax
            append connection: forbidden
            set transfer-encoding: forbidden
            from-list with x:b: invalid-syntax
            append to request headers: immutable
            append to response headers: immutable

            """.ReplaceLineEndings("\n"),
            await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
        Assert.Equal(["fine"], response.Headers.GetValues("x-fine"));
        Assert.False(response.Headers.Contains("x-late"));
        Assert.False(response.Headers.Contains("x-bad-value"));
    }

    [Theory]
    [InlineData("")]
    [InlineData("?blocking")]
    public async Task A_megabyte_body_is_echoed_byte_for_byte(string mode)
    {
        var bytes = new byte[1024 * 1024];
        new Random(9).NextBytes(bytes);
        using var response = await _server.Client.PostAsync(new Uri(_server.BaseUrl, "/echo" + mode), new ByteArrayContent(bytes), TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(bytes, await response.Content.ReadAsByteArrayAsync(TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task The_request_body_pollable_is_ready_only_when_data_has_arrived()
    {
        // The guest starts its response, then waits on the body stream's pollable and reads without blocking. The
        // body is sent only after the response head arrived, so the guest is waiting by then: each wake-up must find
        // bytes (or the end), never an empty read.
        using var raw = await RawHttp.ConnectAsync(_server.BaseUrl);
        await raw.SendAsync("POST /poll-body HTTP/1.1\r\nHost: probe\r\nContent-Length: 5\r\nConnection: close");
        var head = await raw.ReadHeadAsync(Wait);
        Assert.Equal(200, head.Status);
        await raw.WriteAsync("hello"u8.ToArray());
        var (rest, reset) = await raw.ReadRestAsync(Wait);
        Assert.False(reset);
        Assert.Contains("bytes:5 empty-reads:0\n", Encoding.ASCII.GetString(rest), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Two_thousand_chunks_stream_in_order()
    {
        using var response = await _server.Client.GetAsync(new Uri(_server.BaseUrl, "/chunks?n=2000"), HttpCompletionOption.ResponseHeadersRead, TestContext.Current.CancellationToken);
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
    [InlineData(200)]
    [InlineData(201)]
    [InlineData(404)]
    [InlineData(418)]
    [InlineData(503)]
    [InlineData(599)]
    public async Task Status_codes_pass_through(int code) =>
        Assert.Equal(((HttpStatusCode)code, "status set"), await _server.GetAsync($"/status/{code}"));

    [Fact]
    public async Task A_status_the_host_refuses_is_reported_to_the_guest() =>
        Assert.Equal((HttpStatusCode.OK, "status refused"), await _server.GetAsync("/status/1000"));

    [Fact]
    public async Task An_informational_status_as_the_final_answer_is_500() =>
        Assert.Equal(HttpStatusCode.InternalServerError, (await _server.GetAsync("/status/150")).Status);

    [Theory]
    [InlineData("/no-response")]
    [InlineData("/error-code")]
    [InlineData("/trap")]
    public async Task A_handler_without_a_response_gets_500_and_the_next_request_is_served(string path)
    {
        var (status, body) = await _server.GetAsync(path);
        Assert.Equal(HttpStatusCode.InternalServerError, status);
        Assert.StartsWith("internal server error", body, StringComparison.Ordinal);
        Assert.Equal((HttpStatusCode.OK, "GET"), await _server.GetAsync("/method"));
    }

    [Fact]
    public async Task A_trap_after_the_response_started_truncates_it_and_the_next_request_is_served()
    {
        using (var raw = await RawHttp.ConnectAsync(_server.BaseUrl))
        {
            await raw.SendAsync("GET /trap-after-start HTTP/1.1\r\nHost: probe");
            var head = await raw.ReadHeadAsync(Wait);
            Assert.Equal(200, head.Status);
            Assert.Equal(["chunked"], head.Values("transfer-encoding"));
            var (rest, _) = await raw.ReadRestAsync(Wait);
            var text = Encoding.ASCII.GetString(rest);
            Assert.Contains("partial body line", text, StringComparison.Ordinal);
            Assert.DoesNotContain("\r\n0\r\n\r\n", text, StringComparison.Ordinal); // the last chunk never comes
        }

        using (var response = await _server.Client.GetAsync(new Uri(_server.BaseUrl, "/trap-after-start"), HttpCompletionOption.ResponseHeadersRead, TestContext.Current.CancellationToken))
        {
            await Assert.ThrowsAnyAsync<HttpRequestException>(async () => await response.Content.ReadAsByteArrayAsync(TestContext.Current.CancellationToken));
        }

        Assert.Equal((HttpStatusCode.OK, "GET"), await _server.GetAsync("/method"));
    }

    [Fact]
    public async Task The_default_store_is_shared_with_a_core_module_component_of_the_same_app()
    {
        Assert.Equal((HttpStatusCode.OK, "1"), await _server.GetAsync("/kv?key=shared"));
        Assert.Equal((HttpStatusCode.OK, "ok:1"), await _server.GetAsync("/core/get?key=shared"));
        Assert.Equal((HttpStatusCode.OK, "ok"), await _server.SendAsync(HttpMethod.Post, "/core/set?key=shared", "41"u8.ToArray()));
        Assert.Equal((HttpStatusCode.OK, "42"), await _server.GetAsync("/kv?key=shared"));
        Assert.Equal((HttpStatusCode.OK, "ok:42"), await _server.GetAsync("/core/get?key=shared"));
    }

    [Theory]
    [InlineData("GET")]
    [InlineData("DELETE")]
    [InlineData("PATCH")]
    [InlineData("PROPFIND")]
    public async Task The_method_reaches_the_guest(string method)
    {
        Assert.Equal((HttpStatusCode.OK, method), await _server.SendAsync(new HttpMethod(method), "/method"));
    }
}
