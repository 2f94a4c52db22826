using Spindle.Core;

namespace Spindle.Redis;

/// <summary>The stores of one <c>[key_value_store.&lt;label&gt;]</c> table: one database, one key prefix.</summary>
internal sealed class RedisStoreManager(RedisConnection connection, string keyPrefix, bool index) : IKeyValueStoreManager
{
    public IKeyValueStore Open(string label)
    {
        ArgumentNullException.ThrowIfNull(label);

        // The first open connects, bounded by the deadline. A server that is down does not fail the open (as in Spin):
        // the client keeps reconnecting and each call fails with io until the server is back.
        connection.Database("open", label);
        return new RedisStore(connection, label, keyPrefix, index);
    }
}
