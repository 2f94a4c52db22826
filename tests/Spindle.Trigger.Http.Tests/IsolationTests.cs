using System.Net;
using Spindle.Host;

namespace Spindle.Trigger.Http.Tests;

/// <summary>A misbehaving guest fails its own request only; the next request is served.</summary>
public sealed class IsolationTests : IAsyncLifetime
{
    private ProbeServer _server = null!;

    public async ValueTask InitializeAsync() => _server = await ProbeServer.StartAsync();

    public async ValueTask DisposeAsync() => await _server.DisposeAsync();

    [Theory]
    [InlineData("/trap", "Trap")]
    [InlineData("/loop", "Timeout")]
    [InlineData("/membomb", "Trap")]
    [InlineData("/oob", "AbiViolation")]
    [InlineData("/badutf8", "AbiViolation")]
    public async Task Failing_guest_gets_500_logged_and_the_next_request_succeeds(string path, string failure)
    {
        var (status, _) = await _server.GetAsync(path);
        Assert.Equal(HttpStatusCode.InternalServerError, status);
        Assert.Contains(_server.Log.Lines, l => l.Contains($"({failure})", StringComparison.Ordinal) && l.Contains(path, StringComparison.Ordinal));

        Assert.Equal((HttpStatusCode.OK, "ok"), await _server.SendAsync(HttpMethod.Post, "/set?key=after", [1]));
        Assert.Equal(HttpStatusCode.OK, (await _server.GetAsync("/get?key=after")).Status);
    }

    [Fact]
    public async Task Bad_utf8_key_writes_nothing()
    {
        await _server.GetAsync("/badutf8");
        Assert.Empty(_server.Database.Open("default").ListKeys().Keys);
    }
}

/// <summary>The instance cap: past it the trigger answers 503 at once instead of queueing.</summary>
public sealed class ConcurrencyCapTests
{
    [Fact]
    public async Task Requests_past_the_instance_cap_get_503_while_the_server_keeps_serving()
    {
        await using var server = await ProbeServer.StartAsync(new HostOptions
        {
            MaxConcurrentInstances = 1,
            RequestTimeout = TimeSpan.FromSeconds(2),
        });

        var looping = server.GetAsync("/loop"); // holds the only instance for ~2 s

        // Let /loop take the slot first; after that the sequential probes below are the only competitors.
        await Task.Delay(300, TestContext.Current.CancellationToken);
        var deadline = DateTime.UtcNow.AddSeconds(10);
        HttpStatusCode status;
        do
        {
            (status, _) = await server.GetAsync("/status?code=200");
        }
        while (status != HttpStatusCode.ServiceUnavailable && DateTime.UtcNow < deadline);

        var loopResult = await looping;
        Assert.True(status == HttpStatusCode.ServiceUnavailable, $"no 503 seen; /loop answered {loopResult.Status} {loopResult.Body}; log: {string.Join("\n", server.Log.Lines)}");
        Assert.Equal(HttpStatusCode.InternalServerError, loopResult.Status);
        Assert.Equal(HttpStatusCode.OK, (await server.GetAsync("/status?code=200")).Status);
    }
}
