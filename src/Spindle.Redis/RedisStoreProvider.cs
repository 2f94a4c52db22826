using Spindle.Core;

namespace Spindle.Redis;

/// <summary>
/// Runtime-config type <c>redis</c>. Labels configured with the same <c>url</c> share one connection; each label's
/// keys live in that URL's database, under its <c>key_prefix</c>.
/// </summary>
public sealed class RedisStoreProvider : KeyValueStoreProvider<RedisStoreOptions>, IDisposable
{
    private readonly Dictionary<string, RedisConnection> _connections = new(StringComparer.Ordinal);
    private readonly Lock _gate = new();

    /// <inheritdoc/>
    public override string Type => "redis";

    /// <inheritdoc/>
    /// <remarks>Opens no connection: the first <see cref="IKeyValueStoreManager.Open"/> connects.</remarks>
    public override IKeyValueStoreManager Create(RedisStoreOptions options, StoreProviderContext context)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(context);
        var endpoint = RedisEndpoint.Parse(options.Url);
        if (options.TimeoutMs <= 0)
        {
            throw new KeyValueException(
                KeyValueErrorKind.Io,
                $"timeout_ms must be a positive number of milliseconds (got {options.TimeoutMs}); remove it to use 5000");
        }

        lock (_gate)
        {
            if (!_connections.TryGetValue(options.Url, out var connection))
            {
                connection = new RedisConnection(endpoint, TimeSpan.FromMilliseconds(options.TimeoutMs));
                _connections[options.Url] = connection;
            }

            return new RedisStoreManager(connection, options.KeyPrefix, options.Index);
        }
    }

    /// <inheritdoc/>
    public override StoreLocation Describe(RedisStoreOptions options, StoreProviderContext context)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(context);
        return new StoreLocation(RedisEndpoint.Parse(options.Url).Description, IsTemporary: false);
    }

    /// <summary>Closes every connection this provider opened.</summary>
    public void Dispose()
    {
        lock (_gate)
        {
            foreach (var connection in _connections.Values)
            {
                connection.Dispose();
            }

            _connections.Clear();
        }
    }
}
