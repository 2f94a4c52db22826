using System.Net;
using System.Text;
using Spindle.Host;

namespace Spindle.Trigger.Http.Tests;

/// <summary>When a request body is read and how large it may be.</summary>
public sealed class RequestBodyTests
{
    private const int Limit = ProbeServer.MaxValueBytes;

    // Issue #6: bodies were buffered before the instance cap was checked, so refused requests filled memory too.
    [Fact]
    public async Task Request_refused_at_the_instance_cap_is_answered_without_reading_its_body()
    {
        await using var server = await ProbeServer.StartAsync(new HostOptions { MaxConcurrentInstances = 1 });
        using (var held = server.Component.TryReserveInstance())
        {
            Assert.NotNull(held);

            // The body is announced but never sent: only a server that does not wait for it can answer.
            using var raw = await RawHttp.ConnectAsync(server.BaseUrl);
            await raw.SendAsync("PUT /set?key=k HTTP/1.1\r\nHost: localhost\r\nContent-Length: 1000");
            var response = await raw.ReadHeadAsync(TimeSpan.FromSeconds(30));
            Assert.Equal(503, response.Status);
            Assert.Equal(["1"], response.Values("Retry-After"));
        }

        // The slot given back unused serves the next request.
        Assert.Equal((HttpStatusCode.OK, "ok"), await server.SendAsync(HttpMethod.Put, "/set?key=k", "v"u8.ToArray()));
        Assert.Equal((HttpStatusCode.OK, "ok:v"), await server.GetAsync("/get?key=k"));
    }

    // Issue #6
    [Fact]
    public async Task Body_over_the_limit_is_413_without_running_the_guest_and_one_at_the_limit_is_served()
    {
        await using var server = await ProbeServer.StartAsync(triggerOptions: new HttpTriggerOptions { MaxRequestBodyBytes = Limit });
        var atLimit = Encoding.ASCII.GetBytes(new string('a', Limit));
        Assert.Equal((HttpStatusCode.OK, "ok"), await server.SendAsync(HttpMethod.Put, "/set?key=at", atLimit));
        Assert.Equal(atLimit, server.Database.Open("default").Get("at"));

        var (status, body) = await server.SendAsync(HttpMethod.Put, "/set?key=over", new byte[Limit + 1]);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, status);
        Assert.Contains($"at most {Limit} bytes", body, StringComparison.Ordinal);
        Assert.Null(server.Database.Open("default").Get("over"));
    }

    // Issue #6: a body without Content-Length is counted as it arrives.
    [Fact]
    public async Task Chunked_body_over_the_limit_is_413_and_one_within_it_is_served()
    {
        await using var server = await ProbeServer.StartAsync(triggerOptions: new HttpTriggerOptions { MaxRequestBodyBytes = Limit });
        Assert.Equal((HttpStatusCode.OK, "ok"), await SendChunkedAsync(server, "/set?key=small", new byte[Limit]));
        Assert.Equal(Limit, server.Database.Open("default").Get("small")!.Length);

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, (await SendChunkedAsync(server, "/set?key=big", new byte[Limit + 1])).Status);
        Assert.Null(server.Database.Open("default").Get("big"));
    }

    [Fact]
    public async Task Chunked_body_of_many_pieces_reaches_the_guest_intact()
    {
        await using var server = await ProbeServer.StartAsync(triggerOptions: new HttpTriggerOptions { MaxRequestBodyBytes = 1024 * 1024 });
        var value = new byte[ProbeServer.MaxValueBytes];
        new Random(6).NextBytes(value);
        Assert.Equal((HttpStatusCode.OK, "ok"), await SendChunkedAsync(server, "/set?key=pieces", value, pieceBytes: 100));
        Assert.Equal(value, server.Database.Open("default").Get("pieces"));
    }

    [Theory]
    [InlineData(-1)]
    [InlineData(HttpTriggerOptions.MaxRequestBodyBytesLimit + 1)]
    public void Body_limit_out_of_range_is_refused(long limit)
    {
        using var loggers = Microsoft.Extensions.Logging.LoggerFactory.Create(_ => { });
        Assert.Throws<ArgumentOutOfRangeException>(() => new HttpTrigger(new HttpTriggerOptions { MaxRequestBodyBytes = limit }, [], loggers, 1));
    }

    private static async Task<(HttpStatusCode Status, string Body)> SendChunkedAsync(ProbeServer server, string target, byte[] body, int pieceBytes = 1024)
    {
        using var raw = await RawHttp.ConnectAsync(server.BaseUrl);
        await raw.SendAsync($"PUT {target} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\nTransfer-Encoding: chunked");
        var chunked = new MemoryStream();
        for (var at = 0; at < body.Length; at += pieceBytes)
        {
            var length = Math.Min(pieceBytes, body.Length - at);
            chunked.Write(Encoding.ASCII.GetBytes($"{length:x}\r\n"));
            chunked.Write(body, at, length);
            chunked.Write("\r\n"u8);
        }

        chunked.Write("0\r\n\r\n"u8);
        await raw.WriteAsync(chunked.ToArray());
        var response = await raw.ReadToEndAsync(TimeSpan.FromSeconds(30));
        return ((HttpStatusCode)response.Status, Encoding.UTF8.GetString(response.Body));
    }
}
