using System.Net;
using System.Text;

namespace Spindle.Trigger.Http.Tests;

/// <summary>The headers a guest receives: the client's own, and the host's <c>spin-*</c> headers that no client can set.</summary>
public sealed class RequestHeaderTests : IAsyncLifetime
{
    private ProbeServer _server = null!;

    public async ValueTask InitializeAsync() => _server = await ProbeServer.StartAsync();

    public async ValueTask DisposeAsync() => await _server.DisposeAsync();

    // Issue #6: a client sent Spin-Path-Info ahead of the host's and so chose the route the guest served.
    [Fact]
    public async Task Forged_spin_headers_never_reach_the_guest_and_the_host_values_arrive_once()
    {
        using var raw = await RawHttp.ConnectAsync(_server.BaseUrl);
        var host = $"127.0.0.1:{_server.BaseUrl.Port}";
        await raw.SendAsync(string.Join("\r\n",
            "GET /echo?x=1 HTTP/1.1",
            $"Host: {host}",
            "Connection: close",
            "Spin-Path-Info: /secret",
            "SPIN-PATH-INFO: /secret2",
            "spin-full-url: http://forged.example/",
            "Spin-Matched-Route: forged",
            "spin-base-path: forged",
            "Spin-Raw-Component-Route: forged",
            "spin-component-route: forged",
            "Spin-Client-Addr: 203.0.113.7:1",
            "Spin-Custom: kept"));
        var response = await raw.ReadToEndAsync(TimeSpan.FromSeconds(30));

        var echo = Encoding.UTF8.GetString(response.Body);
        Assert.True(response.Status == 200, $"status {response.Status}: {echo}");
        var lines = echo.Split('\n');
        Assert.DoesNotContain(lines, l => l.Contains("forged", StringComparison.Ordinal) || l.Contains("secret", StringComparison.Ordinal) || l.Contains("203.0.113.7", StringComparison.Ordinal));

        AssertOnce(lines, "spin-full-url", $"http://{host}/echo?x=1");
        AssertOnce(lines, "spin-path-info", "/echo");
        AssertOnce(lines, "spin-matched-route", "/...");
        AssertOnce(lines, "spin-base-path", "/");
        AssertOnce(lines, "spin-raw-component-route", "/...");
        AssertOnce(lines, "spin-component-route", string.Empty);
        var client = Assert.Single(lines, l => l.StartsWith("spin-client-addr:", StringComparison.OrdinalIgnoreCase));
        Assert.StartsWith("spin-client-addr: 127.0.0.1:", client, StringComparison.Ordinal);

        // Only the names the host sets are stripped.
        AssertOnce(lines, "spin-custom", "kept");
    }

    private static void AssertOnce(string[] lines, string name, string value)
    {
        var matching = lines.Where(l => l.StartsWith(name + ":", StringComparison.OrdinalIgnoreCase)).ToList();
        Assert.True(matching.Count == 1, $"{name} arrived {matching.Count} times: {string.Join(" | ", matching)}");
        Assert.Equal($"{name}: {value}", matching[0]);
    }
}
