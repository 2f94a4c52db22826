using Spindle.Core;

namespace Spindle.Redis;

/// <summary>The stores of one <c>[key_value_store.&lt;label&gt;]</c> table: one database, one key prefix.</summary>
internal sealed class RedisStoreManager(RedisConnection connection, string keyPrefix, bool index) : IKeyValueStoreManager
{
    public IKeyValueStore Open(string label)
    {
        ArgumentNullException.ThrowIfNull(label);

        // Connect now (bounded by the deadline), so a bad password or host shows at open, as with Spin.
        connection.Database("open", label);
        return new RedisStore(connection, label, keyPrefix, index);
    }
}
