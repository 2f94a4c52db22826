using Spindle.Configuration;
using Spindle.Core;
using Spindle.Sqlite;

namespace Spindle.Redis.Tests;

/// <summary>The runtime-config table <c>type = "redis"</c>, bound and opened as the CLI does.</summary>
public sealed class RedisRuntimeConfigTests(RedisServer server) : IDisposable
{
    private readonly RedisStoreProvider _redis = new();
    private readonly SqliteStoreProvider _sqlite = new();
    private readonly TempDirectory _folder = new();

    public void Dispose()
    {
        _redis.Dispose();
        _sqlite.Dispose();
        _folder.Dispose();
    }

    [Fact]
    public async Task Labels_on_one_url_with_their_own_key_prefix_are_served_and_kept_apart()
    {
        server.RequireOrSkip();
        var prefix = $"c{Guid.NewGuid():N}";
        using var stores = Build($"""
            [key_value_store.cache]
            type = "redis"
            url = "{server.Url}"
            key_prefix = "{prefix}:cache:"

            [key_value_store.sessions]
            type = "redis"
            url = "{server.Url}/0"
            key_prefix = "{prefix}:sessions:"
            index = true
            timeout_ms = 2000
            """);

        var cache = stores.Registry.Open("cache");
        var sessions = stores.Registry.Open("sessions");
        cache.Set("k", "c"u8.ToArray());
        sessions.Set("k", "s"u8.ToArray());

        Assert.Equal("c"u8.ToArray(), cache.Get("k"));
        Assert.Equal(["k"], sessions.ListKeys().Keys);
        using var raw = await server.ConnectRawAsync();
        Assert.Equal("s", (string?)await raw.GetDatabase().StringGetAsync($"{prefix}:sessions:k"));
        Assert.Equal($"the Redis server at redis://127.0.0.1:{server.Port}/0", stores.Location("cache").Description);
    }

    [Fact]
    public void Bad_url_names_the_file_the_table_and_the_fix()
    {
        var ex = Assert.Throws<ConfigurationException>(() => Build("""
            [key_value_store.cache]
            type = "redis"
            url = "http://user:hunter2@127.0.0.1:6379"
            """));

        Assert.Contains("runtime-config.toml", ex.Message, StringComparison.Ordinal);
        Assert.Contains("key_value_store.cache", ex.Message, StringComparison.Ordinal);
        Assert.Contains("redis://[user:password@]host[:port][/db]", ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("hunter2", ex.Message, StringComparison.Ordinal);
    }

    private ConfiguredStores Build(string toml)
    {
        var path = _folder.WriteFile("runtime-config.toml", toml);
        return StoreConfiguration.Build(new StoreSetup
        {
            Providers = [_sqlite, _redis],
            RuntimeConfig = RuntimeConfig.Load(path),
            StateDirFlag = string.Empty,
        });
    }
}
