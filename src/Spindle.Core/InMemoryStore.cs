using System.Collections.Concurrent;
using System.Globalization;

namespace Spindle.Core;

/// <summary>
/// A store kept in process memory, lost when the process exits. Reads take no lock; writers serialize on one lock so
/// increment and compare-and-swap are atomic. The sorted key list for paging is rebuilt lazily after keys are added or
/// removed.
/// </summary>
public sealed class InMemoryStore : IKeyValueStore
{
    private readonly ConcurrentDictionary<string, Entry> _items = new(StringComparer.Ordinal);
    private readonly Lock _writeGate = new();
    private volatile string[]? _sortedKeys;
    private long _nextVersion;

    /// <summary>Creates an empty store named <paramref name="label"/>.</summary>
    public InMemoryStore(string label)
    {
        ArgumentNullException.ThrowIfNull(label);
        Label = label;
    }

    /// <inheritdoc/>
    public string Label { get; }

    /// <inheritdoc/>
    public byte[]? Get(string key)
    {
        ArgumentNullException.ThrowIfNull(key);
        return _items.TryGetValue(key, out var entry) ? entry.Value.ToArray() : null;
    }

    /// <inheritdoc/>
    public void Set(string key, byte[] value)
    {
        ArgumentNullException.ThrowIfNull(key);
        ArgumentNullException.ThrowIfNull(value);
        lock (_writeGate)
        {
            Write(key, value.ToArray());
        }
    }

    /// <inheritdoc/>
    public void Delete(string key)
    {
        ArgumentNullException.ThrowIfNull(key);
        lock (_writeGate)
        {
            Remove(key);
        }
    }

    /// <inheritdoc/>
    public bool Exists(string key)
    {
        ArgumentNullException.ThrowIfNull(key);
        return _items.ContainsKey(key);
    }

    /// <inheritdoc/>
    public KeyPage ListKeys(string? prefix = null, string? cursor = null, int limit = KeyValueLimits.DefaultPageSize)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(limit);
        var after = KeyCursor.Decode(cursor);
        var keys = SortedKeys();
        var page = new List<string>(Math.Min(limit, 256));
        var i = StartIndex(keys, prefix ?? string.Empty, after);
        for (; i < keys.Length && page.Count < limit; i++)
        {
            if (prefix is not null && !keys[i].StartsWith(prefix, StringComparison.Ordinal))
            {
                return new KeyPage(page, null);
            }

            page.Add(keys[i]);
        }

        var more = i < keys.Length && (prefix is null || keys[i].StartsWith(prefix, StringComparison.Ordinal));
        return new KeyPage(page, more ? KeyCursor.After(page[^1]) : null);
    }

    /// <inheritdoc/>
    public IReadOnlyList<KeyValuePair<string, byte[]?>> GetMany(IReadOnlyList<string> keys)
    {
        ArgumentNullException.ThrowIfNull(keys);
        var result = new KeyValuePair<string, byte[]?>[keys.Count];
        for (var i = 0; i < keys.Count; i++)
        {
            result[i] = new(keys[i], Get(keys[i]));
        }

        return result;
    }

    /// <inheritdoc/>
    public void SetMany(IReadOnlyList<KeyValuePair<string, byte[]>> items)
    {
        ArgumentNullException.ThrowIfNull(items);
        lock (_writeGate)
        {
            foreach (var (key, value) in items)
            {
                Write(key, value.ToArray());
            }
        }
    }

    /// <inheritdoc/>
    public void DeleteMany(IReadOnlyList<string> keys)
    {
        ArgumentNullException.ThrowIfNull(keys);
        lock (_writeGate)
        {
            foreach (var key in keys)
            {
                Remove(key);
            }
        }
    }

    /// <inheritdoc/>
    public long Increment(string key, long delta)
    {
        ArgumentNullException.ThrowIfNull(key);
        lock (_writeGate)
        {
            var current = _items.TryGetValue(key, out var entry) ? CounterEncoding.Decode(key, entry.Value) : 0;
            var next = CounterEncoding.Add(key, current, delta);
            Write(key, CounterEncoding.Encode(next));
            return next;
        }
    }

    /// <inheritdoc/>
    public VersionedValue GetVersioned(string key)
    {
        ArgumentNullException.ThrowIfNull(key);
        return _items.TryGetValue(key, out var entry)
            ? new VersionedValue(entry.Value.ToArray(), entry.Version.ToString(CultureInfo.InvariantCulture))
            : default;
    }

    /// <inheritdoc/>
    public bool TrySwap(string key, string? expectedVersion, byte[] value)
    {
        ArgumentNullException.ThrowIfNull(key);
        ArgumentNullException.ThrowIfNull(value);
        lock (_writeGate)
        {
            var exists = _items.TryGetValue(key, out var entry);
            var unchanged = expectedVersion is null
                ? !exists
                : exists && entry!.Version.ToString(CultureInfo.InvariantCulture) == expectedVersion;
            if (!unchanged)
            {
                return false;
            }

            Write(key, value.ToArray());
            return true;
        }
    }

    // Callers hold _writeGate.
    private void Write(string key, byte[] ownedValue)
    {
        var entry = new Entry(ownedValue, ++_nextVersion);
        if (_items.TryAdd(key, entry))
        {
            _sortedKeys = null;
        }
        else
        {
            _items[key] = entry;
        }
    }

    // Callers hold _writeGate.
    private void Remove(string key)
    {
        if (_items.TryRemove(key, out _))
        {
            _sortedKeys = null;
        }
    }

    private string[] SortedKeys()
    {
        var keys = _sortedKeys;
        if (keys is not null)
        {
            return keys;
        }

        lock (_writeGate)
        {
            keys = _items.Keys.ToArray();
            Array.Sort(keys, Utf8KeyComparer.Instance);
            _sortedKeys = keys;
            return keys;
        }
    }

    private static int StartIndex(string[] keys, string prefix, string? after)
    {
        var resumeAfterCursor = after is not null && Utf8KeyComparer.Instance.Compare(after, prefix) >= 0;
        var from = resumeAfterCursor ? after! : prefix;
        var index = Array.BinarySearch(keys, from, Utf8KeyComparer.Instance);
        if (index < 0)
        {
            return ~index;
        }

        // An exact hit on the cursor's key is skipped (paging resumes after it); on the prefix it is included.
        return resumeAfterCursor ? index + 1 : index;
    }

    private sealed record Entry(byte[] Value, long Version);
}
