namespace Spindle.Redis;

/// <summary>
/// The Lua scripts every write runs, so the value, its CAS version and (in index mode) the sorted-set index change
/// together. KEYS[1] is the version hash, KEYS[2] the index, KEYS[3..] the data keys; ARGV[1] is <c>1</c> in index
/// mode. The version hash maps a key to the sequence number of its last write (field <c>\255</c>, which no UTF-8 key
/// can be, holds the sequence); a key gets an entry on its first versioned read or swap.
/// </summary>
internal static class RedisScripts
{
    /// <summary>ARGV[2j], ARGV[2j+1]: key and value of data key j.</summary>
    public const string SetMany = """
        for j = 1, #KEYS - 2 do
          local field = ARGV[2 * j]
          redis.call('SET', KEYS[j + 2], ARGV[2 * j + 1])
          if redis.call('HEXISTS', KEYS[1], field) == 1 then
            redis.call('HSET', KEYS[1], field, redis.call('HINCRBY', KEYS[1], '\255', 1))
          end
          if ARGV[1] == '1' then redis.call('ZADD', KEYS[2], 0, field) end
        end
        return 1
        """;

    /// <summary>ARGV[j+1]: key of data key j.</summary>
    public const string DeleteMany = """
        for j = 1, #KEYS - 2 do
          redis.call('DEL', KEYS[j + 2])
          redis.call('HDEL', KEYS[1], ARGV[j + 1])
          if ARGV[1] == '1' then redis.call('ZREM', KEYS[2], ARGV[j + 1]) end
        end
        return 1
        """;

    /// <summary>
    /// ARGV[2]: key, ARGV[3]: delta. INCRBY fails (and writes nothing) on a non-integer or an overflow. Returns the
    /// stored text, not INCRBY's reply: Lua numbers are doubles and would round counters beyond 2^53.
    /// </summary>
    public const string Increment = """
        redis.call('INCRBY', KEYS[3], ARGV[3])
        if redis.call('HEXISTS', KEYS[1], ARGV[2]) == 1 then
          redis.call('HSET', KEYS[1], ARGV[2], redis.call('HINCRBY', KEYS[1], '\255', 1))
        end
        if ARGV[1] == '1' then redis.call('ZADD', KEYS[2], 0, ARGV[2]) end
        return redis.call('GET', KEYS[3])
        """;

    /// <summary>
    /// ARGV[2]: key. Returns {} when absent, else {value, token}. The token is the write's sequence number and the
    /// SHA-1 of the value, so a write by a client that does not bump versions (a Spin app) is still noticed unless it
    /// writes back the same bytes.
    /// </summary>
    public const string GetVersioned = """
        local v = redis.call('GET', KEYS[3])
        if not v then return {} end
        local s = redis.call('HGET', KEYS[1], ARGV[2])
        if not s then
          s = redis.call('HINCRBY', KEYS[1], '\255', 1)
          redis.call('HSET', KEYS[1], ARGV[2], s)
        end
        return {v, tostring(s) .. ':' .. redis.sha1hex(v)}
        """;

    /// <summary>ARGV[2]: key, ARGV[3]: new value, ARGV[4]: expected token, ARGV[5]: <c>1</c> when a token is given.</summary>
    public const string TrySwap = """
        local cur = redis.call('GET', KEYS[3])
        if ARGV[5] == '0' then
          if cur then return 0 end
        else
          if not cur then return 0 end
          local s = redis.call('HGET', KEYS[1], ARGV[2])
          if not s or (tostring(s) .. ':' .. redis.sha1hex(cur)) ~= ARGV[4] then return 0 end
        end
        redis.call('SET', KEYS[3], ARGV[3])
        redis.call('HSET', KEYS[1], ARGV[2], redis.call('HINCRBY', KEYS[1], '\255', 1))
        if ARGV[1] == '1' then redis.call('ZADD', KEYS[2], 0, ARGV[2]) end
        return 1
        """;
}
