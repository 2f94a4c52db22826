using System.Net;
using System.Text;

namespace Spindle.Trigger.Http.Tests;

// Issue #8: fermyon:spin/key-value@2.0.0 served to a C component (tests/wasm/kv2-probe), every function and error
// case, over real HTTP.
public sealed class ComponentKeyValueTests : IAsyncLifetime
{
    private ProbeServer _server = null!;

    public async ValueTask InitializeAsync() => _server = await ProbeServer.StartAsync(wasm: ProbeServer.Wasm("kv2-probe"));

    public async ValueTask DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task Set_get_exists_delete_round_trip()
    {
        Assert.Equal((HttpStatusCode.OK, "ok"), await _server.SendAsync(HttpMethod.Post, "/set?key=greeting", "hello"u8.ToArray()));
        Assert.Equal((HttpStatusCode.OK, "ok:some:hello"), await _server.GetAsync("/get?key=greeting"));
        Assert.Equal((HttpStatusCode.OK, "ok:true"), await _server.GetAsync("/exists?key=greeting"));
        Assert.Equal((HttpStatusCode.OK, "ok"), await _server.GetAsync("/delete?key=greeting"));
        Assert.Equal((HttpStatusCode.OK, "ok:false"), await _server.GetAsync("/exists?key=greeting"));
        Assert.Equal((HttpStatusCode.OK, "ok"), await _server.GetAsync("/delete?key=greeting"));
    }

    [Fact]
    public async Task A_missing_key_is_none() =>
        Assert.Equal((HttpStatusCode.OK, "ok:none"), await _server.GetAsync("/get?key=missing"));

    [Fact]
    public async Task Writes_reach_the_backend_before_the_response()
    {
        await _server.SendAsync(HttpMethod.Post, "/set?key=durable", "v1"u8.ToArray());
        Assert.Equal("v1"u8.ToArray(), _server.Database.Open("default").Get("durable"));
    }

    [Fact]
    public async Task Get_keys_lists_every_key()
    {
        var store = _server.Database.Open("default");
        foreach (var key in new[] { "b", "a", "ключ" })
        {
            store.Set(key, [1]);
        }

        Assert.Equal((HttpStatusCode.OK, "ok:a\nb\nключ"), await _server.GetAsync("/keys"));
    }

    [Fact]
    public async Task Errors_are_the_interface_error_cases()
    {
        Assert.Equal((HttpStatusCode.OK, "err:2"), await _server.GetAsync("/open?label=secret"));
        Assert.Equal((HttpStatusCode.OK, "err:1"), await _server.GetAsync("/open?label=other"));
        Assert.Equal((HttpStatusCode.OK, $"err:0 after {ProbeServer.StoreCapacity}"), await _server.GetAsync($"/open-many?count={ProbeServer.StoreCapacity + 2}"));
        var (status, body) = await _server.GetAsync("/get?label=failing&key=k");
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.StartsWith("err:3:", body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_value_over_the_limit_is_refused_naming_the_limit()
    {
        var (status, body) = await _server.GetAsync($"/set-big?key=big&size={ProbeServer.MaxValueBytes + 1}");
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.StartsWith("err:3:", body, StringComparison.Ordinal);
        Assert.Contains(ProbeServer.MaxValueBytes.ToString(System.Globalization.CultureInfo.InvariantCulture), body, StringComparison.Ordinal);
        Assert.Null(_server.Database.Open("default").Get("big"));
    }

    [Fact]
    public async Task Dropping_a_store_releases_it_in_the_host()
    {
        // Far more opens than the capacity: each drop must give its place back.
        Assert.Equal((HttpStatusCode.OK, "ok"), await _server.GetAsync($"/open-drop-many?count={ProbeServer.StoreCapacity * 50}"));
    }

    [Theory]
    [InlineData("/dropped")]
    [InlineData("/dropped-twice")]
    [InlineData("/forged?handle=77")]
    [InlineData("/oob")]
    [InlineData("/oob-len")]
    [InlineData("/oob-ret")]
    [InlineData("/badutf8")]
    [InlineData("/unknown-import")]
    [InlineData("/trap")]
    public async Task A_guest_fault_fails_that_request_only(string route)
    {
        var (status, _) = await _server.GetAsync(route);
        Assert.Equal(HttpStatusCode.InternalServerError, status);
        Assert.Equal((HttpStatusCode.OK, "ok:none"), await _server.GetAsync("/get?key=after-fault"));
    }

    [Fact]
    public async Task Request_line_and_headers_reach_the_component()
    {
        var (status, body) = await _server.SendAsync(HttpMethod.Post, "/echo?x=1", Encoding.UTF8.GetBytes("abc"));
        Assert.Equal(HttpStatusCode.OK, status);
        var lines = body.Split('\n');
        Assert.Equal("POST", lines[0]);
        Assert.Equal("/echo?x=1", lines[1]);
        Assert.Contains("spin-path-info: /echo", lines);
        Assert.Contains("body: 3 bytes", lines);
    }
}

