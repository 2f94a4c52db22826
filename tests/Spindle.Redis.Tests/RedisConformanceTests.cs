using Spindle.Conformance;
using Spindle.Core;

namespace Spindle.Redis.Tests;

/// <summary>
/// Each label gets its own key prefix under a namespace unique to this test instance, as a runtime config that keeps
/// labels apart on one Redis database does (<c>key_prefix</c>), so tests running in parallel never meet.
/// </summary>
internal sealed class PrefixedLabels(RedisServer server, bool index) : IKeyValueStoreManager, IDisposable
{
    private readonly string _namespace = $"t{Guid.NewGuid():N}:";
    private readonly RedisConnection _connection = new(RedisEndpoint.Parse(server.Url), TimeSpan.FromSeconds(5));

    public IKeyValueStore Open(string label) => new RedisStoreManager(_connection, $"{_namespace}{label}:", index).Open(label);

    public void Dispose() => _connection.Dispose();
}

public sealed class RedisVerbatimStoreTests(RedisServer server) : KeyValueStoreConformance
{
    protected override IKeyValueStoreManager CreateManager()
    {
        server.RequireOrSkip();
        return new PrefixedLabels(server, index: false);
    }
}

public sealed class RedisIndexedStoreTests(RedisServer server) : KeyValueStoreConformance
{
    protected override IKeyValueStoreManager CreateManager()
    {
        server.RequireOrSkip();
        return new PrefixedLabels(server, index: true);
    }
}
