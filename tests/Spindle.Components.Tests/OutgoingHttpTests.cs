using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Spindle.Components.Wasi;

namespace Spindle.Components.Tests;

// Issue #9 item 3: what the host does with an outgoing request once it is allowed: request-options timeouts, error
// codes, and a request body written after outgoing-handler.handle streamed to the server. Servers are raw sockets on
// loopback, so each test decides exactly what the server sends and when.
public sealed class OutgoingHttpTests : IDisposable
{
    private readonly HttpMessageInvoker _client = OutgoingHttp.CreateClient();
    private readonly WasiHttp _http = new(new WasiPreview2());
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);

    public OutgoingHttpTests() => _listener.Start();

    private int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    private static long Deadline => Stopwatch.GetTimestamp() + (30 * Stopwatch.Frequency);

    public void Dispose()
    {
        _listener.Stop();
        _listener.Dispose();
        _client.Dispose();
    }

    [Fact]
    public async Task A_server_that_accepts_and_never_answers_is_connection_read_timeout_after_the_first_byte_timeout()
    {
        var accepted = _listener.AcceptSocketAsync(TestContext.Current.CancellationToken);
        using var exchange = Send(new HttpRequestMessage(HttpMethod.Get, $"http://127.0.0.1:{Port}/"), firstByte: TimeSpan.FromMilliseconds(200));
        using var server = await accepted;
        Assert.Equal("connection-read-timeout", ErrorCase(await Result(exchange)));
    }

    [Fact]
    public async Task A_closed_port_is_connection_refused()
    {
        _listener.Stop();
        using var exchange = Send(new HttpRequestMessage(HttpMethod.Get, $"http://127.0.0.1:{Port}/"));
        Assert.Equal("connection-refused", ErrorCase(await Result(exchange)));
    }

    [Fact]
    public async Task A_body_that_stops_arriving_fails_the_read_after_the_between_bytes_timeout()
    {
        var server = AnswerThreeOfTenBytesAsync(_ => Task.Delay(TimeSpan.FromSeconds(5), TestContext.Current.CancellationToken));
        using var exchange = Send(new HttpRequestMessage(HttpMethod.Get, $"http://127.0.0.1:{Port}/"), betweenBytes: TimeSpan.FromMilliseconds(200));
        var response = Assert.IsType<IncomingHttpResponse>(((Variant)(await Result(exchange)).Payload!).Payload);
        using (response)
        {
            Assert.Equal(200, response.Status);
            using var body = response.Consume()!;
            var buffer = new byte[16];
            var received = new List<byte>();
            var error = Assert.Throws<WasiStreamException>((Action)(() =>
            {
                while (true)
                {
                    var read = body.Stream.BlockingRead(buffer, Deadline);
                    received.AddRange(buffer[..Math.Max(read, 0)]);
                }
            }));
            Assert.Equal("abc"u8.ToArray(), received);
            Assert.Contains("between-bytes-timeout", error.Message, StringComparison.Ordinal);
            Assert.Equal("connection-read-timeout", HttpErrorCode(error));
        }

        await server;
    }

    [Fact]
    public async Task Body_written_before_and_after_handle_reaches_the_server_in_order()
    {
        var server = Task.Run(
            async () =>
            {
                using var socket = await _listener.AcceptSocketAsync(TestContext.Current.CancellationToken);
                var request = await ReadUntilAsync(socket, "\r\n0\r\n\r\n");
                await socket.SendAsync("HTTP/1.1 204 No Content\r\n\r\n"u8.ToArray(), TestContext.Current.CancellationToken);
                return request;
            },
            TestContext.Current.CancellationToken);
        var body = new RequestBody();
        var stream = body.OpenStream(Deadline);
        Assert.True(stream.Write("before handle, "u8));
        var message = new HttpRequestMessage(HttpMethod.Post, $"http://127.0.0.1:{Port}/upload") { Content = body.StartSending() };
        using var exchange = Send(message);
        Assert.True(stream.Write("after handle"u8));
        body.Finish();

        var response = Assert.IsType<IncomingHttpResponse>(((Variant)(await Result(exchange)).Payload!).Payload);
        using (response)
        {
            Assert.Equal(204, response.Status);
        }

        var received = await server;
        Assert.StartsWith("POST /upload HTTP/1.1\r\n", received, StringComparison.Ordinal);
        Assert.Contains("transfer-encoding: chunked", received, StringComparison.OrdinalIgnoreCase);
        Assert.Equal("before handle, after handle", Dechunk(received[(received.IndexOf("\r\n\r\n", StringComparison.Ordinal) + 4)..]));
    }

    [Fact]
    public async Task An_exchange_dropped_before_its_answer_closes_the_connection()
    {
        var accepted = _listener.AcceptSocketAsync(TestContext.Current.CancellationToken);
        var exchange = Send(new HttpRequestMessage(HttpMethod.Get, $"http://127.0.0.1:{Port}/"));
        using var server = await accepted;
        await ReadHeadAsync(server);
        exchange.Dispose();

        // The client side closes: the server's next read ends.
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(10));
        var read = await server.ReceiveAsync(new byte[16], timeout.Token);
        Assert.Equal(0, read);
    }

    private static string Dechunk(string chunked)
    {
        var body = new StringBuilder();
        var at = 0;
        while (true)
        {
            var line = chunked.IndexOf("\r\n", at, StringComparison.Ordinal);
            var size = Convert.ToInt32(chunked[at..line], 16);
            if (size == 0)
            {
                return body.ToString();
            }

            body.Append(chunked, line + 2, size);
            at = line + 2 + size + 2;
        }
    }

    private static Task<string> ReadHeadAsync(Socket socket) => ReadUntilAsync(socket, "\r\n\r\n");

    private static async Task<string> ReadUntilAsync(Socket socket, string end)
    {
        var text = new StringBuilder();
        var buffer = new byte[4096];
        while (!text.ToString().EndsWith(end, StringComparison.Ordinal))
        {
            var read = await socket.ReceiveAsync(buffer, TestContext.Current.CancellationToken);
            if (read == 0)
            {
                break;
            }

            text.Append(Encoding.Latin1.GetString(buffer, 0, read));
        }

        return text.ToString();
    }

    [Fact]
    public async Task A_body_cut_short_by_the_server_is_HTTP_response_incomplete_for_http_error_code()
    {
        var server = AnswerThreeOfTenBytesAsync(socket =>
        {
            socket.Shutdown(SocketShutdown.Both); // 7 bytes short
            return Task.CompletedTask;
        });
        using var exchange = Send(new HttpRequestMessage(HttpMethod.Get, $"http://127.0.0.1:{Port}/"));
        var response = Assert.IsType<IncomingHttpResponse>(((Variant)(await Result(exchange)).Payload!).Payload);
        using (response)
        {
            using var body = response.Consume()!;
            var buffer = new byte[16];
            var error = Assert.Throws<WasiStreamException>((Action)(() =>
            {
                while (body.Stream.BlockingRead(buffer, Deadline) >= 0)
                {
                }
            }));
            Assert.Equal("HTTP-response-incomplete", HttpErrorCode(error));
        }

        await server;
    }

    [Fact]
    public void A_stream_error_that_is_not_from_an_http_body_has_no_http_error_code()
    {
        Assert.Null(_http.ErrorCodeOf(new WasiError("reading stdin failed", new IOException("broken pipe"))));
        Assert.Null(_http.ErrorCodeOf(new WasiError("no cause")));
    }

    // A server that takes one request and answers 200 with "abc" of a 10-byte body, then does what `then` says.
    private Task AnswerThreeOfTenBytesAsync(Func<Socket, Task> then) => Task.Run(
        async () =>
        {
            using var socket = await _listener.AcceptSocketAsync(TestContext.Current.CancellationToken);
            await ReadHeadAsync(socket);
            await socket.SendAsync("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc"u8.ToArray(), TestContext.Current.CancellationToken);
            await then(socket);
        },
        TestContext.Current.CancellationToken);

    // What http-error-code answers for the wasi:io error a failed read becomes.
    private string? HttpErrorCode(WasiStreamException error) =>
        _http.ErrorCodeOf(new WasiError(error.Message, error.InnerException)) is { } code ? _http.ErrorCode.Cases[code.Case].Name : null;

    private async Task<Variant> Result(OutgoingExchange exchange)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        while (!exchange.Ready.IsReady)
        {
            await Task.Delay(10, timeout.Token);
        }

        return Assert.IsType<Variant>(((Variant)exchange.Get(_http)!).Payload);
    }

    private string ErrorCase(Variant result)
    {
        var inner = Assert.IsType<Variant>(result.Payload);
        Assert.Equal(1, inner.Case);
        var code = Assert.IsType<Variant>(inner.Payload);
        return _http.ErrorCode.Cases[code.Case].Name;
    }

    private OutgoingExchange Send(HttpRequestMessage message, TimeSpan? firstByte = null, TimeSpan? betweenBytes = null) =>
        new(new OutgoingHttp(_client, _ => true), message, firstByte, betweenBytes, Deadline);
}
