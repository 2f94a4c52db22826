using System.Globalization;
using System.Text;
using Spindle.Core;
using StackExchange.Redis;

namespace Spindle.Redis;

/// <summary>
/// One label's keys: the Redis key is <c>key_prefix</c> followed by the key's UTF-8 bytes, and the value is a plain
/// string, as Spin stores it. Spindle's own bookkeeping lives in two reserved keys under the prefix.
/// </summary>
internal sealed class RedisStore : IKeyValueStore
{
    /// <summary>The key after the prefix of the CAS version hash; Spindle refuses it as a user key.</summary>
    internal const string VersionsName = "\0spindle:versions";

    /// <summary>The key after the prefix of the index mode's sorted set; Spindle refuses it as a user key.</summary>
    internal const string IndexName = "\0spindle:index";

    /// <summary>SCAN batch size per round trip.</summary>
    private const int ScanCount = 1000;

    /// <summary>Most key bytes one verbatim list call collects in memory (the host's default buffer limit).</summary>
    internal const long MaxScannedBytes = 128L * 1024 * 1024;

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    private readonly RedisConnection _connection;
    private readonly string _prefix;
    private readonly bool _index;
    private readonly RedisKey _versions;
    private readonly RedisKey _indexKey;
    private readonly RedisValue _mode;

    public RedisStore(RedisConnection connection, string label, string keyPrefix, bool index)
    {
        _connection = connection;
        Label = label;
        _prefix = keyPrefix;
        _index = index;
        _versions = keyPrefix + VersionsName;
        _indexKey = keyPrefix + IndexName;
        _mode = index ? "1" : "0";
    }

    public string Label { get; }

    public byte[]? Get(string key) => Run("GET", db => db.StringGetAsync(DataKey(key)), v => (byte[]?)v);

    public void Set(string key, byte[] value)
    {
        ArgumentNullException.ThrowIfNull(value);
        SetMany([new(key, value)], "SET");
    }

    public void Delete(string key) => DeleteMany([key], "DEL");

    public bool Exists(string key) => Run("EXISTS", db => db.KeyExistsAsync(DataKey(key)), v => v);

    public KeyPage ListKeys(string? prefix = null, string? cursor = null, int limit = KeyValueLimits.DefaultPageSize)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(limit);
        var (from, afterFrom) = KeyPages.Start(prefix, cursor);
        var start = prefix ?? string.Empty;
        var after = afterFrom ? from : null;
        return _index ? ListFromIndex(start, after, limit) : ListFromScan(start, after, limit);
    }

    public IReadOnlyList<KeyValuePair<string, byte[]?>> GetMany(IReadOnlyList<string> keys)
    {
        ArgumentNullException.ThrowIfNull(keys);
        if (keys.Count == 0)
        {
            return [];
        }

        var redisKeys = keys.Select(DataKey).ToArray();
        return Run("MGET", db => db.StringGetAsync(redisKeys), values =>
        {
            var result = new KeyValuePair<string, byte[]?>[keys.Count];
            for (var i = 0; i < result.Length; i++)
            {
                result[i] = new(keys[i], (byte[]?)values[i]);
            }

            return result;
        });
    }

    public void SetMany(IReadOnlyList<KeyValuePair<string, byte[]>> items) => SetMany(items, "SET");

    public void DeleteMany(IReadOnlyList<string> keys) => DeleteMany(keys, "DEL");

    public long Increment(string key, long delta)
    {
        var keys = ScriptKeys(DataKey(key));
        RedisValue[] args = [_mode, key, delta];
        try
        {
            return Run("INCRBY", db => db.ScriptEvaluateAsync(RedisScripts.Increment, keys, args), r => long.Parse((string)r!, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture));
        }
        catch (KeyValueException ex) when (ex.InnerException is RedisServerException server)
        {
            // Redis's own wording, turned into the core's (CounterEncoding).
            if (server.Message.Contains("overflow", StringComparison.OrdinalIgnoreCase))
            {
                throw new KeyValueException(
                    KeyValueErrorKind.Io,
                    $"cannot increment key '{key}' by {delta}: the result overflows a 64-bit integer (Redis INCRBY failed for store '{Label}')",
                    server);
            }

            if (server.Message.Contains("not an integer", StringComparison.OrdinalIgnoreCase))
            {
                throw new KeyValueException(
                    KeyValueErrorKind.Io,
                    $"cannot increment key '{key}': its value is not a decimal 64-bit integer; set it to a number such as 0 first (Redis INCRBY failed for store '{Label}')",
                    server);
            }

            throw;
        }
    }

    public VersionedValue GetVersioned(string key)
    {
        var keys = ScriptKeys(DataKey(key));
        RedisValue[] args = [_mode, key];
        return Run("GET (versioned)", db => db.ScriptEvaluateAsync(RedisScripts.GetVersioned, keys, args), result =>
        {
            var parts = (RedisResult[])result!;
            return parts.Length == 0 ? default : new VersionedValue((byte[]?)parts[0], (string?)parts[1]);
        });
    }

    public bool TrySwap(string key, string? expectedVersion, byte[] value)
    {
        ArgumentNullException.ThrowIfNull(value);
        var keys = ScriptKeys(DataKey(key));
        RedisValue[] args = [_mode, key, value, expectedVersion ?? string.Empty, expectedVersion is null ? "0" : "1"];
        return Run("SET (compare-and-swap)", db => db.ScriptEvaluateAsync(RedisScripts.TrySwap, keys, args), r => (long)r == 1);
    }

    private void SetMany(IReadOnlyList<KeyValuePair<string, byte[]>> items, string operation)
    {
        ArgumentNullException.ThrowIfNull(items);
        if (items.Count == 0)
        {
            return;
        }

        var keys = new RedisKey[items.Count + 2];
        var args = new RedisValue[(2 * items.Count) + 1];
        keys[0] = _versions;
        keys[1] = _indexKey;
        args[0] = _mode;
        for (var j = 0; j < items.Count; j++)
        {
            var (key, value) = items[j];
            ArgumentNullException.ThrowIfNull(value);
            keys[j + 2] = DataKey(key);
            args[(2 * j) + 1] = key;
            args[(2 * j) + 2] = value;
        }

        Run(operation, db => db.ScriptEvaluateAsync(RedisScripts.SetMany, keys, args), static _ => 0);
    }

    private void DeleteMany(IReadOnlyList<string> names, string operation)
    {
        ArgumentNullException.ThrowIfNull(names);
        if (names.Count == 0)
        {
            return;
        }

        var keys = new RedisKey[names.Count + 2];
        var args = new RedisValue[names.Count + 1];
        keys[0] = _versions;
        keys[1] = _indexKey;
        args[0] = _mode;
        for (var j = 0; j < names.Count; j++)
        {
            keys[j + 2] = DataKey(names[j]);
            args[j + 1] = names[j];
        }

        Run(operation, db => db.ScriptEvaluateAsync(RedisScripts.DeleteMany, keys, args), static _ => 0);
    }

    private KeyPage ListFromIndex(string start, string? after, int limit)
    {
        RedisValue min = after ?? start;
        var exclude = after is null ? Exclude.None : Exclude.Start;
        var members = Run(
            "ZRANGE BYLEX",
            db => db.SortedSetRangeByValueAsync(_indexKey, min, default, exclude, Order.Ascending, 0, (long)limit + 1),
            static v => v);
        return KeyPages.Collect(members.Select(member => (string)member!), start, limit);
    }

    /// <summary>
    /// Without an index: one full SCAN per page (never KEYS), deduplicated, sorted, and paged after the cursor's key.
    /// SCAN returns every key that exists for the whole scan, so each page is complete; the cost is the whole prefix.
    /// </summary>
    private KeyPage ListFromScan(string start, string? after, int limit)
    {
        var pattern = EscapeGlob(_prefix + start) + "*";
        var found = new HashSet<string>(StringComparer.Ordinal);
        long bytes = 0;
        var scanCursor = "0";
        do
        {
            var reply = Run(
                "SCAN",
                db => db.ExecuteAsync("SCAN", scanCursor, "MATCH", pattern, "COUNT", ScanCount),
                static r => (RedisResult[])r!);
            scanCursor = (string)reply[0]!;
            foreach (var item in (RedisResult[])reply[1]!)
            {
                var raw = (byte[])item!;
                bytes += raw.Length;
                if (bytes > MaxScannedBytes)
                {
                    throw new KeyValueException(
                        KeyValueErrorKind.Io,
                        $"list-keys on store '{Label}' exceeds the host buffer limit of {MaxScannedBytes} bytes of keys; list with a longer prefix, or set index = true for this store");
                }

                if (TryUserKey(raw) is { } key && key.StartsWith(start, StringComparison.Ordinal)
                    && (after is null || Utf8KeyComparer.Instance.Compare(key, after) > 0))
                {
                    found.Add(key);
                }
            }
        }
        while (scanCursor != "0");

        var sorted = found.ToList();
        sorted.Sort(Utf8KeyComparer.Instance);
        return sorted.Count > limit
            ? new KeyPage(sorted.GetRange(0, limit), KeyCursor.After(sorted[limit - 1]))
            : new KeyPage(sorted, null);
    }

    /// <summary>The user key of a Redis key under the prefix; null for keys Spindle cannot name or keeps for itself.</summary>
    private string? TryUserKey(byte[] raw)
    {
        string full;
        try
        {
            full = StrictUtf8.GetString(raw);
        }
        catch (DecoderFallbackException)
        {
            return null; // not a UTF-8 key, so not one a Spin or Spindle app wrote
        }

        if (!full.StartsWith(_prefix, StringComparison.Ordinal))
        {
            return null;
        }

        var key = full[_prefix.Length..];
        return key is VersionsName or IndexName ? null : key;
    }

    internal static string EscapeGlob(string text)
    {
        var builder = new StringBuilder(text.Length + 8);
        foreach (var c in text)
        {
            if (c is '*' or '?' or '[' or ']' or '\\')
            {
                builder.Append('\\');
            }

            builder.Append(c);
        }

        return builder.ToString();
    }

    private RedisKey DataKey(string key)
    {
        ArgumentNullException.ThrowIfNull(key);
        if (key is VersionsName or IndexName)
        {
            throw new KeyValueException(
                KeyValueErrorKind.Io,
                $"key '{key.Replace("\0", "\\0", StringComparison.Ordinal)}' is reserved by Spindle's Redis backend; use another key");
        }

        return _prefix + key;
    }

    private RedisKey[] ScriptKeys(RedisKey data) => [_versions, _indexKey, data];

    private TResult Run<T, TResult>(string operation, Func<IDatabase, Task<T>> call, Func<T, TResult> map)
    {
        try
        {
            var database = _connection.Database(operation, Label);
            return map(_connection.Wait(call(database), operation, Label));
        }
        catch (Exception ex) when (ex is not KeyValueException and not ArgumentException and not OperationCanceledException)
        {
            throw _connection.Failure(operation, Label, ex);
        }
    }

    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"redis store '{Label}' ({_connection.Endpoint.Description})");
}
