using System.Net;

namespace Spindle.Trigger.Http.Tests;

public sealed class JsKvServer : JsGuestServer
{
    protected override string Guest => "js-kv";

    protected override int StoreCapacity => ProbeServer.StoreCapacity;
}

// Issue #8: a componentize-js 0.23.0 component (tests/guests/js-kv, built by scripts/build-js-guests.sh) using
// fermyon:spin/key-value@2.0.0 and wasi:keyvalue end to end through spindle's HTTP trigger.
public sealed class JsComponentTests(JsKvServer fixture) : IClassFixture<JsKvServer>
{
    private readonly ProbeServer _server = fixture.Server;

    [Fact]
    public async Task Spin_2_store_calls_round_trip()
    {
        Assert.Equal((HttpStatusCode.OK, "ok"), await _server.SendAsync(HttpMethod.Post, "/v2/set?key=js-a", "hello"u8.ToArray()));
        Assert.Equal((HttpStatusCode.OK, "some:hello"), await _server.GetAsync("/v2/get?key=js-a"));
        Assert.Equal((HttpStatusCode.OK, "ok:true"), await _server.GetAsync("/v2/exists?key=js-a"));
        Assert.Equal((HttpStatusCode.OK, "ok"), await _server.GetAsync("/v2/delete?key=js-a"));
        Assert.Equal((HttpStatusCode.OK, "none"), await _server.GetAsync("/v2/get?key=js-a"));
        Assert.Equal((HttpStatusCode.OK, "err:access-denied"), await _server.GetAsync("/v2/open?label=secret"));
        Assert.Equal((HttpStatusCode.OK, "ok"), await _server.GetAsync($"/v2/open-drop?count={ProbeServer.StoreCapacity * 10}"));
        Assert.Equal("hello"u8.ToArray(), (await _server.SendAsync(HttpMethod.Post, "/v2/set?key=js-b", "hello"u8.ToArray()), _server.Database.Open("default").Get("js-b")).Item2);
    }

    [Fact]
    public async Task Wasi_keyvalue_calls_round_trip()
    {
        Assert.Equal((HttpStatusCode.OK, "ok:3"), await _server.GetAsync("/wasi/increment?key=js-n&delta=3"));
        Assert.Equal((HttpStatusCode.OK, "ok:4"), await _server.GetAsync("/wasi/increment?key=js-n&delta=1"));
        Assert.Equal((HttpStatusCode.OK, "ok"), await _server.GetAsync("/wasi/set-many?key=js-x&value=1&key=js-y&value=2"));
        Assert.Equal((HttpStatusCode.OK, "ok\njs-x=some:1\njs-missing=none\njs-y=some:2\n"), await _server.GetAsync("/wasi/get-many?key=js-x&key=js-missing&key=js-y"));
        Assert.Equal((HttpStatusCode.OK, "err:cas-failed"), await _server.SendAsync(HttpMethod.Post, "/wasi/cas-conflict?key=js-c", "mine"u8.ToArray()));
        Assert.Equal((HttpStatusCode.OK, "ok:1:1"), await _server.GetAsync("/wasi/cas-increment?key=js-ci"));
        Assert.Equal((HttpStatusCode.OK, "ok"), await _server.GetAsync("/wasi/delete-many?key=js-x&key=js-y"));
        Assert.Equal((HttpStatusCode.OK, "none"), await _server.GetAsync("/wasi/get?key=js-x"));
    }

    [Fact]
    public async Task Listing_pages_through_every_key()
    {
        var (status, body) = await _server.GetAsync("/wasi/list-all");
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.StartsWith("ok:", body, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("/throw")]
    [InlineData("/wasi/increment?key=js-neg&delta=-1&unguarded")]
    [InlineData("/loop")]
    public async Task A_guest_failure_fails_that_request_only(string route)
    {
        var (status, _) = await _server.GetAsync(route);
        Assert.Equal(HttpStatusCode.InternalServerError, status);
        Assert.Equal(HttpStatusCode.OK, (await _server.GetAsync("/v2/get?key=after")).Status);
    }

    [Fact]
    public async Task Request_line_headers_and_body_reach_the_guest()
    {
        var (status, body) = await _server.SendAsync(HttpMethod.Put, "/echo?q=1", "payload"u8.ToArray());
        Assert.Equal(HttpStatusCode.OK, status);
        var lines = body.Split('\n');
        Assert.Equal(["PUT", "/echo?q=1"], lines[..2]);
        Assert.Contains("spin-path-info: /echo", lines);
        Assert.EndsWith("\npayload", body, StringComparison.Ordinal);
    }
}
