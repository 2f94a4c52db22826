using Xunit;

namespace Spindle.Cli.Tests;

/// <summary>What <c>spindle up --listen</c> prints: the address bound, and a warning when others can reach it.</summary>
public sealed class UpListenTests : IDisposable
{
    private readonly TempDirectory _temp = new();
    private readonly HttpClient _client = new() { Timeout = TimeSpan.FromSeconds(30) };

    // Issue #6: [::] was printed as 127.0.0.1, and nothing said the server was reachable from other machines.
    [Theory]
    [InlineData("[::]:0", "[::]")]
    [InlineData("0.0.0.0:0", "0.0.0.0")]
    public async Task Every_interface_address_is_printed_as_bound_with_one_warning(string listen, string host)
    {
        await using var up = await StartAsync(listen);

        var authority = $"{host}:{up.BaseUrl.Port}";
        Assert.NotEqual(0, up.BaseUrl.Port);
        Assert.Contains($"Serving http://{authority}", up.Lines);
        Assert.Contains(up.Lines, l => l.StartsWith($"  kv-counter: http://{authority}", StringComparison.Ordinal));
        Assert.Equal(
            $"warning: listening on {authority}, which is reachable from other machines; use 127.0.0.1 to serve only this one\n",
            up.Stderr.ReplaceLineEndings("\n"));
        Assert.Equal("count: 0\n", await _client.GetStringAsync(up.LoopbackUrl("/"), TestContext.Current.CancellationToken));
    }

    // Issue #6
    [Theory]
    [InlineData("127.0.0.1:0", "127.0.0.1")]
    [InlineData("[::1]:0", "[::1]")]
    public async Task Loopback_address_is_printed_as_bound_without_a_warning(string listen, string host)
    {
        await using var up = await StartAsync(listen);

        var url = $"http://{host}:{up.BaseUrl.Port}";
        Assert.Contains($"Serving {url}", up.Lines);
        Assert.Equal(string.Empty, up.Stderr);
        Assert.Equal("count: 0\n", await _client.GetStringAsync(new Uri($"{url}/"), TestContext.Current.CancellationToken));
    }

    public void Dispose()
    {
        _client.Dispose();
        _temp.Dispose();
    }

    private Task<ServingCli> StartAsync(string listen) =>
        ServingCli.StartAsync("-f", RepoPaths.Combine("examples", "kv-counter"), "--state-dir", _temp.Combine("state"), "--listen", listen);
}
