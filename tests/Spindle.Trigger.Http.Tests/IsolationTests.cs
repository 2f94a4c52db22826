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

        // /loop holds the only instance for ~2 s. Sequential probes then must see 503 until it ends. If a probe wins
        // the race for the slot instead, /loop itself gets the 503; try again.
        for (var attempt = 1; ; attempt++)
        {
            var looping = server.GetAsync("/loop");
            var sawBusy = false;
            while (!looping.IsCompleted)
            {
                var (status, _) = await server.GetAsync("/status?code=200");
                sawBusy |= status == HttpStatusCode.ServiceUnavailable;
            }

            var loopResult = await looping;
            if (loopResult.Status == HttpStatusCode.ServiceUnavailable && attempt < 5)
            {
                continue;
            }

            Assert.Equal(HttpStatusCode.InternalServerError, loopResult.Status); // the deadline stopped it
            Assert.True(sawBusy, "no request was refused while the only instance was busy");
            break;
        }

        Assert.Equal(HttpStatusCode.OK, (await server.GetAsync("/status?code=200")).Status);
    }
}
