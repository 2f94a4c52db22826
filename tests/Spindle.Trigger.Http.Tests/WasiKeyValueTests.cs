using System.Net;
using Spindle.Host;

namespace Spindle.Trigger.Http.Tests;

// Issue #8: wasi:keyvalue store, atomics and batch @0.2.0-draft2 served to a C component (tests/wasm/wasi-kv-probe),
// over real HTTP.
public sealed class WasiKeyValueTests : IAsyncLifetime
{
    private const int KeysPerPage = 100;

    private ProbeServer _server = null!;

    public async ValueTask InitializeAsync() => _server = await ProbeServer.StartAsync(
        new HostOptions { StoreHandleCapacity = ProbeServer.StoreCapacity, RequestTimeout = TimeSpan.FromSeconds(10), MaxMemoryBytes = 64L * 1024 * 1024, KeysPerPage = KeysPerPage },
        wasm: ProbeServer.Wasm("wasi-kv-probe"));

    public async ValueTask DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task Set_get_exists_delete_round_trip()
    {
        Assert.Equal((HttpStatusCode.OK, "ok"), await _server.SendAsync(HttpMethod.Post, "/set?key=greeting", "hello"u8.ToArray()));
        Assert.Equal((HttpStatusCode.OK, "ok:some:hello"), await _server.GetAsync("/get?key=greeting"));
        Assert.Equal((HttpStatusCode.OK, "ok:true"), await _server.GetAsync("/exists?key=greeting"));
        Assert.Equal((HttpStatusCode.OK, "ok"), await _server.GetAsync("/delete?key=greeting"));
        Assert.Equal((HttpStatusCode.OK, "ok:none"), await _server.GetAsync("/get?key=greeting"));
        Assert.Equal((HttpStatusCode.OK, "err:1"), await _server.GetAsync("/open?label=secret"));
        Assert.Equal((HttpStatusCode.OK, "err:0"), await _server.GetAsync("/open?label=other"));
    }

    [Fact]
    public async Task Ten_thousand_keys_paged_a_hundred_at_a_time_come_back_once_each()
    {
        Assert.Equal((HttpStatusCode.OK, "ok"), await _server.GetAsync("/fill?prefix=k&count=10000"));
        var (status, body) = await _server.GetAsync("/list-all");
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.StartsWith("ok:pages=100 keys=10000 distinct=10000\n", body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task One_page_ends_with_a_cursor_that_continues_it()
    {
        await _server.GetAsync("/set-many?pairs=a=1,b=2");
        var (_, body) = await _server.GetAsync("/list-keys");
        Assert.Equal("ok\nkey:a\nkey:b\nend", body);
    }

    [Fact]
    public async Task Increment_counts_in_decimal_and_refuses_what_is_not_a_number()
    {
        Assert.Equal((HttpStatusCode.OK, "ok:1"), await _server.GetAsync("/increment?key=n"));
        Assert.Equal((HttpStatusCode.OK, "ok:-4"), await _server.GetAsync("/increment?key=n&delta=-5"));
        Assert.Equal("-4"u8.ToArray(), _server.Database.Open("default").Get("n"));
        await _server.SendAsync(HttpMethod.Post, "/set?key=word", "abc"u8.ToArray());
        var (_, body) = await _server.GetAsync("/increment?key=word");
        Assert.StartsWith("err:2:", body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Eight_clients_incrementing_a_thousand_times_each_end_at_eight_thousand()
    {
        await Task.WhenAll(Enumerable.Range(0, 8).Select(async _ =>
        {
            for (var i = 0; i < 1000; i++)
            {
                var (status, body) = await _server.GetAsync("/increment?key=shared");
                Assert.True(status == HttpStatusCode.OK && body.StartsWith("ok:", StringComparison.Ordinal), $"{status} {body}");
            }
        }));
        Assert.Equal("8000"u8.ToArray(), _server.Database.Open("default").Get("shared"));
    }

    [Fact]
    public async Task Compare_and_swap_inserts_swaps_and_reports_a_conflict()
    {
        Assert.Equal((HttpStatusCode.OK, "ok:none"), await _server.GetAsync("/cas-current?key=c"));
        Assert.Equal((HttpStatusCode.OK, "ok"), await _server.SendAsync(HttpMethod.Post, "/cas-swap?key=c", "first"u8.ToArray()));
        Assert.Equal((HttpStatusCode.OK, "ok:some:first"), await _server.GetAsync("/cas-current?key=c"));
        Assert.Equal((HttpStatusCode.OK, "err:cas-failed"), await _server.SendAsync(HttpMethod.Post, "/cas-conflict?key=c", "mine"u8.ToArray()));
        Assert.Equal("conflict"u8.ToArray(), _server.Database.Open("default").Get("c"));
        Assert.Equal((HttpStatusCode.OK, "err:cas-failed"), await _server.SendAsync(HttpMethod.Post, "/cas-conflict?key=absent", "mine"u8.ToArray()));
        Assert.Equal("conflict"u8.ToArray(), _server.Database.Open("default").Get("absent"));
    }

    [Fact]
    public async Task Batch_calls_get_set_and_delete_many_keys_in_order()
    {
        Assert.Equal((HttpStatusCode.OK, "ok"), await _server.GetAsync("/set-many?pairs=x=1,y=2"));
        Assert.Equal((HttpStatusCode.OK, "ok\nkey:y=some:2\nkey:missing=none\nkey:x=some:1"), await _server.GetAsync("/get-many?keys=y,missing,x"));
        Assert.Equal((HttpStatusCode.OK, "ok"), await _server.GetAsync("/delete-many?keys=x,missing"));
        Assert.Equal((HttpStatusCode.OK, "ok\nkey:x=none\nkey:y=some:2"), await _server.GetAsync("/get-many?keys=x,y"));
    }

    [Fact]
    public async Task A_megabyte_value_round_trips()
    {
        var server = await ProbeServer.StartAsync(
            new HostOptions { RequestTimeout = TimeSpan.FromSeconds(10), MaxMemoryBytes = 64L * 1024 * 1024 },
            wasm: ProbeServer.Wasm("wasi-kv-probe"),
            maxValueBytes: 2 * 1024 * 1024);
        await using (server)
        {
            Assert.Equal((HttpStatusCode.OK, "ok"), await server.GetAsync("/set-big?key=big&size=1048576"));
            Assert.Equal((HttpStatusCode.OK, "ok:1048576:pattern"), await server.GetAsync("/get-big?key=big"));
        }
    }

    [Theory]
    [InlineData("/dropped")]
    [InlineData("/cas-consumed")]
    [InlineData("/forged?handle=77")]
    [InlineData("/oob")]
    [InlineData("/oob-list")]
    [InlineData("/bad-tag")]
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
    public async Task Get_many_is_served_in_the_upstream_shape_to_a_guest_that_imports_it()
    {
        var server = await ProbeServer.StartAsync(wasm: ProbeServer.Wasm("wasi-kv-upstream-probe"));
        await using (server)
        {
            Assert.Equal((HttpStatusCode.OK, "ok"), await server.GetAsync("/set-many?pairs=a=1"));
            Assert.Equal((HttpStatusCode.OK, "ok\nkey:a=some:1\nnone"), await server.GetAsync("/get-many?keys=a,b"));
        }
    }
}
