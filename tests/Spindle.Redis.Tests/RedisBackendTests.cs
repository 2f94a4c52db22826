using System.Diagnostics;
using System.Text;
using Spindle.Core;
using StackExchange.Redis;

namespace Spindle.Redis.Tests;

/// <summary>What the Redis backend adds to the conformance suite: Spin's layout, SCAN, CAS versions, outages.</summary>
public sealed class RedisBackendTests(RedisServer server) : IDisposable
{
    private readonly RedisStoreProvider _provider = new();
    private readonly string _prefix = $"b{Guid.NewGuid():N}:";

    public void Dispose() => _provider.Dispose();

    [Fact]
    public async Task Keys_are_stored_verbatim_so_a_Spin_app_reads_and_writes_the_same_keys()
    {
        // Database 1 belongs to this test alone: the key has no prefix at all, as Spin writes it.
        var store = Open(new RedisStoreOptions($"{server.Url}/1"));
        using var raw = await server.ConnectRawAsync();
        var spin = raw.GetDatabase(1);
        var key = $"greeting-{Guid.NewGuid():N}";

        store.Set(key, "hello"u8.ToArray());
        Assert.Equal("hello", (string?)await spin.StringGetAsync(key));

        await spin.StringSetAsync(key + "-spin", "from spin");
        Assert.Equal("from spin"u8.ToArray(), store.Get(key + "-spin"));
        Assert.Contains(key + "-spin", store.ListKeys(prefix: key).Keys);

        Assert.Equal(5, store.Increment(key + "-n", 5));
        Assert.Equal("5", (string?)await spin.StringGetAsync(key + "-n"));
        await spin.StringIncrementAsync(key + "-n", 2);
        Assert.Equal(8, store.Increment(key + "-n", 1));
    }

    [Fact]
    public async Task ListKeys_uses_SCAN_and_never_KEYS()
    {
        var store = Open(new RedisStoreOptions(server.Url, KeyPrefix: _prefix));
        store.Set("a", [1]);
        using var raw = await server.ConnectRawAsync();
        var admin = raw.GetServer("127.0.0.1", server.Port);
        await admin.ConfigResetStatisticsAsync();

        Assert.Equal(["a"], store.ListKeys().Keys);

        // Server-wide command counts: no test in this assembly ever sends KEYS, and this listing must have sent SCAN.
        var stats = (await admin.InfoRawAsync("commandstats")) ?? string.Empty;
        Assert.Contains("cmdstat_scan:", stats, StringComparison.Ordinal);
        Assert.DoesNotContain("cmdstat_keys:", stats, StringComparison.Ordinal);
    }

    [Fact]
    public void ListKeys_prefix_with_glob_characters_matches_them_literally()
    {
        var store = Open(new RedisStoreOptions(server.Url, KeyPrefix: _prefix + "[x]*"));
        string[] keys = ["a*b", "a?c", "a[1]", "a\\d", "ab", "axb"];
        foreach (var key in keys)
        {
            store.Set(key, [1]);
        }

        Assert.Equal(["a*b"], store.ListKeys(prefix: "a*").Keys);
        Assert.Equal(["a?c"], store.ListKeys(prefix: "a?").Keys);
        Assert.Equal(["a[1]"], store.ListKeys(prefix: "a[").Keys);
        Assert.Equal(["a\\d"], store.ListKeys(prefix: "a\\").Keys);
        Assert.Equal(keys.Order(Utf8KeyComparer.Instance), store.ListKeys().Keys);
    }

    [Fact]
    public async Task Swap_fails_when_another_client_changed_the_value_behind_Spindle()
    {
        var store = Open(new RedisStoreOptions(server.Url, KeyPrefix: _prefix));
        store.Set("k", "A"u8.ToArray());
        var read = store.GetVersioned("k");
        using var raw = await server.ConnectRawAsync();
        await raw.GetDatabase().StringSetAsync(_prefix + "k", "B"); // a Spin app's plain SET bumps no version

        Assert.False(store.TrySwap("k", read.Version, "C"u8.ToArray()));
        Assert.Equal("B"u8.ToArray(), store.Get("k"));
    }

    [Fact]
    public void Swap_fails_after_A_B_A_written_through_Spindle()
    {
        var store = Open(new RedisStoreOptions(server.Url, KeyPrefix: _prefix));
        store.Set("k", "A"u8.ToArray());
        var read = store.GetVersioned("k");
        store.Set("k", "B"u8.ToArray());
        store.Set("k", "A"u8.ToArray());

        Assert.NotEqual(read.Version, store.GetVersioned("k").Version);
        Assert.False(store.TrySwap("k", read.Version, "C"u8.ToArray()));
        Assert.Equal("A"u8.ToArray(), store.Get("k"));
    }

    [Fact]
    public void Index_mode_lists_only_keys_written_through_Spindle_in_order()
    {
        var store = Open(new RedisStoreOptions(server.Url, KeyPrefix: _prefix, Index: true));
        store.SetMany([new("b", [1]), new("a", [1]), new("é", [1]), new("z", [1])]);
        store.Delete("z");

        var first = store.ListKeys(limit: 2);
        Assert.Equal(["a", "b"], first.Keys);
        Assert.Equal(["é"], store.ListKeys(cursor: first.Cursor, limit: 2).Keys);
    }

    [Fact]
    public void Reserved_bookkeeping_keys_are_refused_and_never_listed()
    {
        var store = Open(new RedisStoreOptions(server.Url, KeyPrefix: _prefix, Index: true));
        store.Set("k", [1]);
        store.GetVersioned("k"); // creates the version hash under the prefix

        var ex = Assert.Throws<KeyValueException>(() => store.Set(RedisStore.VersionsName, [1]));
        Assert.Contains("reserved", ex.Message, StringComparison.Ordinal);
        var verbatim = Open(new RedisStoreOptions(server.Url, KeyPrefix: _prefix));
        Assert.Equal(["k"], verbatim.ListKeys().Keys);
    }

    [Fact]
    public void Unreachable_server_gives_io_by_the_deadline_without_the_password()
    {
        var port = server.Port;
        server.RequireOrSkip();
        using var closed = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        closed.Start();
        var deadPort = ((System.Net.IPEndPoint)closed.LocalEndpoint).Port;
        closed.Stop();
        Assert.NotEqual(port, deadPort);

        var clock = Stopwatch.StartNew();
        var ex = Assert.Throws<KeyValueException>(() =>
        {
            using var deadline = KeyValueDeadline.Enter(TimeSpan.FromSeconds(1));
            var store = Open(new RedisStoreOptions($"redis://user:hunter2@127.0.0.1:{deadPort}/0"));
            store.Get("k");
        });

        Assert.Equal(KeyValueErrorKind.Io, ex.Kind);
        Assert.InRange(clock.Elapsed, TimeSpan.Zero, TimeSpan.FromSeconds(3));
        Assert.DoesNotContain("hunter2", ex.Message, StringComparison.Ordinal);
        Assert.Contains($"127.0.0.1:{deadPort}", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Server_that_stops_answering_gives_io_by_the_deadline_and_works_again_when_back()
    {
        await using var own = await RedisServer.StartAsync();
        var store = Open(new RedisStoreOptions(own.Url));
        store.Set("k", "before"u8.ToArray());

        own.Signal("STOP");
        try
        {
            var clock = Stopwatch.StartNew();
            var ex = Assert.Throws<KeyValueException>(() =>
            {
                using var deadline = KeyValueDeadline.Enter(TimeSpan.FromSeconds(1));
                store.Get("k");
            });
            Assert.Equal(KeyValueErrorKind.Io, ex.Kind);
            Assert.Contains("did not answer", ex.Message, StringComparison.Ordinal);
            Assert.InRange(clock.Elapsed, TimeSpan.FromSeconds(0.9), TimeSpan.FromSeconds(2.5));
        }
        finally
        {
            own.Signal("CONT");
        }

        // Same provider, same store object: no restart of Spindle.
        Assert.Equal("before"u8.ToArray(), store.Get("k"));

        // A crash loses the (unpersisted) data; the client reconnects by itself once a server listens again.
        await own.RestartAsync();
        var back = Stopwatch.StartNew();
        while (true)
        {
            try
            {
                using var deadline = KeyValueDeadline.Enter(TimeSpan.FromSeconds(1));
                store.Set("k", "after"u8.ToArray());
                break;
            }
            catch (KeyValueException) when (back.Elapsed < TimeSpan.FromSeconds(15))
            {
                await Task.Delay(100, TestContext.Current.CancellationToken);
            }
        }

        Assert.Equal("after"u8.ToArray(), store.Get("k"));
    }

    [Theory]
    [InlineData("redis://127.0.0.1:6380", "the Redis server at redis://127.0.0.1:6380/0")]
    [InlineData("redis://user:secret@cache.example:7000/3", "the Redis server at redis://cache.example:7000/3")]
    [InlineData("rediss://:secret@cache.example", "the Redis server at rediss://cache.example:6379/0")]
    public void Describe_names_the_server_without_the_password(string url, string expected)
    {
        var location = _provider.Describe(new RedisStoreOptions(url), new StoreProviderContext("cache", "/"));
        Assert.Equal(expected, location.Description);
        Assert.False(location.IsTemporary);
    }

    [Theory]
    [InlineData("")]
    [InlineData("http://127.0.0.1:6379")]
    [InlineData("redis://127.0.0.1:6379/x")]
    [InlineData("127.0.0.1:6379")]
    public void Bad_url_is_an_error_naming_the_option_and_the_fix(string url)
    {
        var ex = Assert.Throws<KeyValueException>(() => _provider.Create(new RedisStoreOptions(url), new StoreProviderContext("cache", "/")));
        Assert.Contains("url", ex.Message, StringComparison.Ordinal);
        Assert.Contains("redis://[user:password@]host[:port][/db]", ex.Message, StringComparison.Ordinal);
    }

    private IKeyValueStore Open(RedisStoreOptions options)
    {
        server.RequireOrSkip();
        return _provider.Create(options, new StoreProviderContext("test", "/")).Open("test");
    }
}
