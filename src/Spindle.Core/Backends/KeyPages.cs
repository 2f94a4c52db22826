namespace Spindle.Core;

/// <summary>
/// The keyset paging rule every ordered backend follows for list-keys: where a page starts, and how a page is cut from
/// keys read in UTF-8 byte order.
/// </summary>
internal static class KeyPages
{
    /// <summary>
    /// Where the page starts: strictly after the cursor's key when that key sorts at or past the prefix, else at the
    /// prefix itself (a cursor from before the prefix's range cannot skip any of its keys).
    /// </summary>
    /// <returns>The key to start from, and whether the page starts strictly after it.</returns>
    /// <exception cref="KeyValueException">The cursor is not one a store produced.</exception>
    public static (string From, bool AfterFrom) Start(string? prefix, string? cursor)
    {
        var after = KeyCursor.Decode(cursor);
        var start = prefix ?? string.Empty;
        return after is not null && Utf8KeyComparer.Instance.Compare(after, start) >= 0 ? (after, true) : (start, false);
    }

    /// <summary>
    /// Cuts a page from <paramref name="orderedKeys"/>: the keys from the page's start in UTF-8 byte order, of which the
    /// backend reads at most <paramref name="limit"/> + 1. The first key outside the prefix ends the walk (every key
    /// with the prefix sorts before it); a key past the limit says another page follows.
    /// </summary>
    public static KeyPage Collect(IEnumerable<string> orderedKeys, string? prefix, int limit)
    {
        var keys = new List<string>(Math.Min(limit, 256));
        foreach (var key in orderedKeys)
        {
            if (prefix is not null && !key.StartsWith(prefix, StringComparison.Ordinal))
            {
                break;
            }

            if (keys.Count == limit)
            {
                return new KeyPage(keys, KeyCursor.After(keys[^1]));
            }

            keys.Add(key);
        }

        return new KeyPage(keys, null);
    }
}
